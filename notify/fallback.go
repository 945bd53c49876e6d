package notify

import (
	"context"
	"errors"

	"github.com/acctsec/security"
)

// ErrNoNotifier is returned by a Fallback built with no notifiers.
var ErrNoNotifier = errors.New("notify: no notifier")

// Fallback returns a Notifier that tries each notifier in order and stops
// at the first that succeeds. When one fails it tries the next, unless ctx
// is done: then it stops, because the next would fail the same way and
// could deliver after the caller gave up. When none succeeds the error
// joins every failure (and ctx's error, if that is why it stopped), so
// errors.Is and errors.As see each of them.
//
// A failing notifier may still have delivered (a provider that accepted
// the message and then timed out), so the user can receive two messages;
// both carry the same code. Fallback panics if a notifier is nil.
func Fallback(notifiers ...security.Notifier) security.Notifier {
	for _, n := range notifiers {
		if n == nil {
			panic("notify: Fallback: nil notifier")
		}
	}
	ns := append([]security.Notifier(nil), notifiers...)
	return fallback(ns)
}

type fallback []security.Notifier

func (f fallback) Send(ctx context.Context, m security.Message) error {
	if len(f) == 0 {
		return ErrNoNotifier
	}
	var errs []error
	for _, n := range f {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		err := n.Send(ctx, m)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
