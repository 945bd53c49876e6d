package pwned

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultBaseURL   = "https://api.pwnedpasswords.com"
	DefaultTimeout   = 2 * time.Second
	DefaultMinCount  = 1
	DefaultUserAgent = "acctsec-pwned"
)

// MaxResponseBytes caps the response body read. A padded range response is
// about 30-40 KiB; anything past this cap is treated as a failed check.
const MaxResponseBytes = 1 << 20

// Options configures a Checker. The zero value of each field means its
// documented default.
type Options struct {
	// BaseURL is the API root; the request goes to BaseURL + "/range/" +
	// prefix. Default DefaultBaseURL. Must be an absolute http or https URL.
	BaseURL string
	// HTTPClient sends the requests. Default: a client of its own with no
	// overall timeout (Timeout bounds each check through its context).
	HTTPClient *http.Client
	// Timeout bounds one check, request and response body together.
	// Default DefaultTimeout (2 s). Negative is an error.
	Timeout time.Duration
	// MinCount is the breach count at which a password is refused. Default
	// DefaultMinCount (1: any appearance). Negative is an error. Padding
	// entries (count 0) never match.
	MinCount int
	// FailClosed refuses the password (Reason "check_failed") when the check
	// cannot be done: network error, timeout, non-200 status, a response
	// too large or malformed. Default false: accept (fail open).
	FailClosed bool
	// UserAgent is sent in the User-Agent header, which the API asks every
	// client to set. Default DefaultUserAgent.
	UserAgent string
	// OnError, if set, is called with the reason of each failed check
	// (whichever way FailClosed decides), so a host can log or alert on
	// fail-open. The error never contains the password, its hash or the
	// hash prefix. It must be safe for concurrent use.
	OnError func(error)
}

// Checker checks passwords against the range API. It is safe for
// concurrent use.
type Checker struct {
	rangeURL   string // BaseURL + "/range/"
	client     *http.Client
	timeout    time.Duration
	minCount   int
	failClosed bool
	userAgent  string
	onError    func(error)
}

// New returns a Checker configured by opts, or an error if an option is out
// of range.
func New(opts Options) (*Checker, error) {
	c := &Checker{
		client:     opts.HTTPClient,
		timeout:    opts.Timeout,
		minCount:   opts.MinCount,
		failClosed: opts.FailClosed,
		userAgent:  opts.UserAgent,
		onError:    opts.OnError,
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("pwned: BaseURL must be an absolute http or https URL without query")
	}
	c.rangeURL = strings.TrimSuffix(base, "/") + "/range/"
	if c.client == nil {
		c.client = &http.Client{}
	}
	switch {
	case c.timeout < 0:
		return nil, fmt.Errorf("pwned: negative Timeout %s", c.timeout)
	case c.timeout == 0:
		c.timeout = DefaultTimeout
	}
	switch {
	case c.minCount < 0:
		return nil, fmt.Errorf("pwned: negative MinCount %d", c.minCount)
	case c.minCount == 0:
		c.minCount = DefaultMinCount
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if strings.ContainsAny(c.userAgent, "\r\n") {
		return nil, errors.New("pwned: UserAgent contains a line break")
	}
	return c, nil
}
