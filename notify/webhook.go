package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/acctsec/security"
)

// SignatureHeader is the header that carries a webhook's signature.
//
// Its value is "t=<unix seconds>,v1=<hex>", where <hex> is the lowercase hex
// HMAC-SHA256, keyed with the shared secret, of the ASCII decimal timestamp,
// a full stop, and the raw request body:
//
//	v1 = hex(HMAC-SHA256(secret, "<t>.<body>"))
//
// This is Stripe's scheme. A receiver recomputes v1 over the body bytes it
// received (before any JSON decoding), compares in constant time and
// refuses timestamps outside its tolerance, which bounds replays; the
// payload's "id" lets it drop a replay inside the window. [VerifyWebhook]
// does all of this. A receiver rotating secrets may see several v1 entries.
const SignatureHeader = "X-Acctsec-Signature"

// DefaultWebhookTolerance is the replay window VerifyWebhook uses when
// given a tolerance of zero or less.
const DefaultWebhookTolerance = 5 * time.Minute

// Webhook errors.
var (
	// ErrWebhookStatus: the receiver answered with a status other than 2xx.
	ErrWebhookStatus = errors.New("notify: webhook answered with a non-2xx status")
	// ErrWebhookSignature: VerifyWebhook found a missing, malformed or wrong
	// signature.
	ErrWebhookSignature = errors.New("notify: webhook signature invalid")
	// ErrWebhookStale: VerifyWebhook found a timestamp outside the tolerance
	// (a replay, or clocks too far apart).
	ErrWebhookStale = errors.New("notify: webhook timestamp outside tolerance")
)

// WebhookConfig configures a Webhook. Zero values mean the documented
// defaults.
type WebhookConfig struct {
	// URL receives the POSTs. Required; http or https.
	URL string
	// Secret keys the HMAC signature. Required, at least 16 bytes.
	Secret []byte
	// HTTPClient sends the requests. Default: a client with Timeout that
	// does not follow redirects (a 3xx is then an error, so a message is
	// never re-sent to where a redirect points).
	HTTPClient *http.Client
	// Timeout bounds one delivery when HTTPClient is nil. Default 10s. The
	// context passed to Send is honoured as well.
	Timeout time.Duration
	// Now is the clock for the signature timestamp. Default time.Now.
	Now func() time.Time
	// Rand is the source of payload IDs. Default crypto/rand.Reader.
	Rand io.Reader
}

// Webhook is a Notifier that POSTs each message as JSON to a URL, signed
// in the SignatureHeader. It is safe for concurrent use.
//
// The body is one JSON object:
//
//	{"id":"9f2c…","channel":"sms","to":"+8613800138000","purpose":"bind_phone",
//	 "code":"123456","ttlSeconds":600,"locale":"zh-CN","userId":"u1",
//	 "time":"2026-01-02T03:04:05Z"}
//
// "code", "link", "ttlSeconds", "locale", "userId" and "lockedUntil" are
// omitted when empty. "id" is random per message, for de-duplication.
// Any 2xx answer is success; everything else is an error that never holds
// the body, the URL or the answer's text.
type Webhook struct {
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
	rand   io.Reader
}

// NewWebhook validates cfg and returns a Webhook.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("notify: webhook URL must be an absolute http or https URL")
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("notify: webhook secret must be at least 16 bytes")
	}
	w := &Webhook{
		url:    cfg.URL,
		secret: bytes.Clone(cfg.Secret),
		client: cfg.HTTPClient,
		now:    cfg.Now,
		rand:   cfg.Rand,
	}
	if w.client == nil {
		timeout := cfg.Timeout
		if timeout <= 0 {
			timeout = 10 * time.Second
		}
		w.client = &http.Client{
			Timeout: timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.rand == nil {
		w.rand = rand.Reader
	}
	return w, nil
}

// webhookPayload is the JSON body of a webhook.
type webhookPayload struct {
	ID          string     `json:"id"`
	Channel     string     `json:"channel"`
	To          string     `json:"to"`
	Purpose     string     `json:"purpose"`
	Code        string     `json:"code,omitempty"`
	Link        string     `json:"link,omitempty"`
	TTLSeconds  int64      `json:"ttlSeconds,omitempty"`
	Locale      string     `json:"locale,omitempty"`
	UserID      string     `json:"userId,omitempty"`
	Time        time.Time  `json:"time"`
	LockedUntil *time.Time `json:"lockedUntil,omitempty"`
}

// Send POSTs m to the URL. It returns when the receiver has answered 2xx,
// or with an error.
func (w *Webhook) Send(ctx context.Context, m security.Message) error {
	var id [16]byte
	if _, err := io.ReadFull(w.rand, id[:]); err != nil {
		return fmt.Errorf("notify: webhook: reading random id: %w", err)
	}
	p := webhookPayload{
		ID:         hex.EncodeToString(id[:]),
		Channel:    string(m.Channel),
		To:         m.To,
		Purpose:    string(m.Purpose),
		Code:       m.Code,
		Link:       m.Link,
		TTLSeconds: int64(m.TTL / time.Second),
		Locale:     m.Locale,
		UserID:     m.UserID,
		Time:       m.Time.UTC(),
	}
	if !m.LockedUntil.IsZero() {
		t := m.LockedUntil.UTC()
		p.LockedUntil = &t
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("notify: webhook: encoding message: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return errors.New("notify: webhook: building request failed")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "acctsec-webhook/1")
	req.Header.Set(SignatureHeader, SignWebhook(w.secret, w.now(), body))

	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("notify: webhook: %w", stripURL(err))
	}
	// Drain a little so the connection can be reused; never read the text
	// into the error.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%w: HTTP %d", ErrWebhookStatus, resp.StatusCode)
	}
	return nil
}

// stripURL drops the URL from a *url.Error (it may hold a token in its
// query string) and keeps the operation and the cause, so errors.Is still
// finds context.DeadlineExceeded or a *net.OpError.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// SignWebhook returns the SignatureHeader value for body sent at t:
// "t=<unix>,v1=<hex HMAC-SHA256(secret, "<unix>.<body>")>".
func SignWebhook(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(webhookMAC(secret, ts, body))
}

func webhookMAC(secret []byte, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// VerifyWebhook checks a received webhook: header is the SignatureHeader
// value, body the raw request body. It returns nil when one v1 signature
// matches (compared in constant time) and the timestamp is within
// tolerance of now, in either direction. A tolerance of zero or less means
// DefaultWebhookTolerance. Errors wrap ErrWebhookSignature or
// ErrWebhookStale; the signature is checked first, so a forged header
// never learns anything about the clock.
func VerifyWebhook(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			if ts != "" {
				return fmt.Errorf("%w: duplicate timestamp", ErrWebhookSignature)
			}
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil && len(b) == sha256.Size {
				sigs = append(sigs, b)
			}
		}
	}
	if ts == "" {
		return fmt.Errorf("%w: no timestamp", ErrWebhookSignature)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: malformed timestamp", ErrWebhookSignature)
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: no v1 signature", ErrWebhookSignature)
	}
	want := webhookMAC(secret, ts, body)
	matched := false
	for _, s := range sigs { // no early exit: every entry is compared
		if hmac.Equal(want, s) {
			matched = true
		}
	}
	if !matched {
		return fmt.Errorf("%w: no matching v1 signature", ErrWebhookSignature)
	}
	age := now.Sub(time.Unix(unix, 0))
	if age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: timestamp %d", ErrWebhookStale, unix)
	}
	return nil
}
