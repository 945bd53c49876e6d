package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// DefaultTimeout bounds one request when a client builds its own
// http.Client.
const DefaultTimeout = 10 * time.Second

// maxAnswer bounds how much of a provider's answer is read.
const maxAnswer = 64 << 10

// newHTTPClient returns c, or a client with timeout (DefaultTimeout when
// zero) that does not follow redirects: a redirect would re-send a signed
// request carrying the code somewhere else.
func newHTTPClient(c *http.Client, timeout time.Duration) *http.Client {
	if c != nil {
		return c
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// answer is a provider's HTTP answer, read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends the request build returns and reads the answer. build is called
// again, for a fresh signature and nonce, only to retry once a request that
// never left: the connection could not be made (refused, DNS failure,
// unreachable). Nothing that may have reached the provider is retried,
// because SendSms is not idempotent. Errors wrap ErrUnavailable and the
// cause (context.DeadlineExceeded, a *net.OpError), never the URL.
func do(ctx context.Context, client *http.Client, provider string, build func() (*http.Request, error)) (answer, error) {
	for attempt := 0; ; attempt++ {
		req, err := build()
		if err != nil {
			return answer{}, fmt.Errorf("sms: %s: building request: %w", provider, err)
		}
		resp, err := client.Do(req.WithContext(ctx))
		if err != nil {
			cause := stripURL(err)
			if ctx.Err() == nil && attempt == 0 && notSent(cause) {
				continue
			}
			what := "request failed, it may have reached the provider"
			if notSent(cause) {
				what = "request not sent"
			}
			return answer{}, fmt.Errorf("sms: %s: %s: %w: %w", provider, what, ErrUnavailable, cause)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		_ = resp.Body.Close()
		if err != nil {
			return answer{}, fmt.Errorf("sms: %s: reading answer (HTTP %d): %w: %w", provider, resp.StatusCode, ErrUnavailable, stripURL(err))
		}
		return answer{resp.StatusCode, resp.Header, body}, nil
	}
}

// notSent reports whether err proves the request never left: dialing the
// connection failed. A dial error wraps DNS failures (*net.DNSError),
// refused connections and unreachable networks alike. A timeout while
// dialing is also a dial error: no byte of the request was written.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// stripURL drops the URL of a *url.Error (a query string could hold
// parameters) and keeps its operation and cause.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
