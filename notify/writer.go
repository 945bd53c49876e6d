package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/acctsec/security"
)

// Writer is a development Notifier: it writes each message as one JSON
// line to an io.Writer, codes and links included, for example
//
//	{"channel":"sms","to":"+8613800138000","purpose":"bind_phone","code":"123456"}
//
// "code" and "link" appear only when the message has them. It is the one
// notifier that prints codes, deliberately; never use it in production.
// It is safe for concurrent use: each line is written with one Write call,
// under a lock.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

var stdout = NewWriter(os.Stdout)

// Stdout returns the Writer on os.Stdout. Every call returns the same
// Writer, so lines from different users never interleave.
func Stdout() *Writer { return stdout }

type line struct {
	Channel string `json:"channel"`
	To      string `json:"to"`
	Purpose string `json:"purpose"`
	Code    string `json:"code,omitempty"`
	Link    string `json:"link,omitempty"`
}

// Send writes m as one JSON line. It returns ctx's error without writing
// when ctx is already done.
func (w *Writer) Send(ctx context.Context, m security.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := json.Marshal(line{
		Channel: string(m.Channel),
		To:      m.To,
		Purpose: string(m.Purpose),
		Code:    m.Code,
		Link:    m.Link,
	})
	if err != nil {
		return fmt.Errorf("notify: encoding message: %w", err)
	}
	b = append(b, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.w.Write(b); err != nil {
		return fmt.Errorf("notify: writing message: %w", err)
	}
	return nil
}
