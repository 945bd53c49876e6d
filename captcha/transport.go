package captcha

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds one verification when a provider's Timeout is
// zero: the send request waits for it, and SendVeto must not block long.
const DefaultTimeout = 3 * time.Second

// maxTimeout is the longest Timeout a provider accepts.
const maxTimeout = 30 * time.Second

// maxAnswer bounds how much of a provider's answer is read.
const maxAnswer = 64 << 10

// noRedirects is the default client: a redirect would re-send a request
// holding the ticket (and Tencent's AppSecretKey) somewhere else.
var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// answer is a provider's HTTP answer, read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// roundTrip sends req once, bounded by ctx, and reads the answer. A
// verification is never retried: the provider may have consumed the
// ticket. Errors wrap ErrUnavailable and the cause, never the URL.
func roundTrip(ctx context.Context, client *http.Client, provider string, req *http.Request) (answer, error) {
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s: %w", ue.Op, ue.Err)
		}
		return answer{}, unavailable(provider, "request failed", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return answer{}, unavailable(provider, fmt.Sprintf("reading answer (HTTP %d)", resp.StatusCode), err)
	}
	return answer{resp.StatusCode, resp.Header, body}, nil
}

// endpointURL checks an endpoint override and returns its URL, with path
// "/" when empty.
func endpointURL(provider, endpoint, def string) (*url.URL, error) {
	if endpoint == "" {
		endpoint = def
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("captcha: %s: Endpoint must be an absolute http or https URL without query or credentials", provider)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	u.RawPath = ""
	return u, nil
}

// timeout returns d, DefaultTimeout when zero, or an error when out of
// range.
func timeout(provider string, d time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return DefaultTimeout, nil
	case d < 0 || d > maxTimeout:
		return 0, fmt.Errorf("captcha: %s: Timeout must be between 0 and %v", provider, maxTimeout)
	}
	return d, nil
}

// statusVerdict is the error for an answer without a readable verdict or
// error code: a server error, throttling, or a success the client cannot
// read, leaves the outcome unknown; any other status is a refusal.
func statusVerdict(status int) error {
	if status >= 500 || status == http.StatusTooManyRequests || (status >= 200 && status <= 299) {
		return ErrUnavailable
	}
	return ErrRejected
}
