package security

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acctsec/security/passhash"
)

// Config configures a Service. Its zero value, apart from Secret, means the
// documented defaults; New refuses values outside their safe range.
type Config struct {
	// Secret keys code MACs and peppers new pay-password hashes; unless
	// StoreKeySecret is set, it also names store entries (throttle and lock
	// keys, code scopes, flow and link IDs). Required: 32 bytes from
	// crypto/rand, from a vault or environment, never from source. As text,
	// 64+ hex digits or 43+ base64 characters (256 bits). New refuses a
	// secret that is shorter or plainly not random (few distinct symbols, a
	// repeated block, a counting run).
	//
	// To rotate it, set the new one here, move the old one to
	// PreviousSecrets, and set StoreKeySecret. Codes sent before the
	// rotation stop matching (they live minutes); PINs, passwords, locks,
	// throttles, flows and links are kept.
	Secret []byte
	// PreviousSecrets are secrets that peppered pay passwords before a
	// rotation, validated like Secret. A PIN peppered with one still
	// verifies, and its next successful check re-peppers it with Secret.
	// Keep a secret here while stored hashes still name its KeyID.
	PreviousSecrets [][]byte
	// StoreKeySecret names store entries instead of Secret, so that
	// rotating Secret renames nothing: set it to the Secret in use before
	// the first rotation, and keep it. Required when PreviousSecrets is
	// set; validated like Secret. No guessable secret (code, PIN) is MAC'd
	// under it, and the flow handles and link tokens it names are 256-bit
	// random: a store reader who learns it can test guesses of phone
	// numbers and user IDs against key names, nothing more.
	StoreKeySecret []byte

	// LinkBaseURL is the absolute URL email verification links are built
	// on: the token is added as the "token" query parameter. Links are never
	// built from a request's Host. Required to send email verifications; must
	// be https unless AllowInsecureLinks.
	LinkBaseURL string
	// AllowInsecureLinks permits an http LinkBaseURL (development only).
	AllowInsecureLinks bool

	// DefaultRegion is the ISO 3166 region used to read national phone
	// numbers. Default "CN".
	DefaultRegion string
	// AllowedCallingCodes is the SMS country allow-list, as calling codes
	// ("86", "852"). Default: the calling code of DefaultRegion only.
	AllowedCallingCodes []string
	// Phones normalises phone numbers. Default: the built-in normaliser
	// for DefaultRegion. Plug a libphonenumber port here for full coverage.
	Phones PhoneNormalizer

	// RequireClientIP makes the flows that send a code or link
	// (SendPhoneCode, StartForgotPassword, SendLoginCode,
	// SendEmailVerification, SendPublicEmailVerification) refuse a context
	// without Client.IP (see WithClient) with ErrInvalidArgument. Without
	// it such a send runs with every throttle except the per-IP one, which
	// suits calls from trusted back ends; set it when every send comes from
	// a client request, so a handler that forgot WithClient fails loudly
	// instead of running without the per-IP throttle.
	RequireClientIP bool

	// DefaultLocale is the locale of messages when the request has none.
	// Default "zh-CN".
	DefaultLocale string

	// Limits are the throttles, lockouts and lifetimes. Zero fields take the
	// defaults; see Limits.
	Limits Limits

	// Hash is the argon2id cost of new hashes. Zero means OWASP's first
	// setting (m=19 MiB, t=2, p=1). New refuses settings below ASVS's floor.
	Hash HashParams
	// LegacyHashes are the formats of imported password and pay-password
	// hashes that the Service can check (then replace by argon2id). Default
	// passhash.Default(): bcrypt, scrypt, PBKDF2, crypt(3), Spring's and
	// salted digests; add a host's own with passhash.Default().With.
	LegacyHashes *passhash.Schemes
	// MaxConcurrentHashes bounds argon2id work in flight (and so its memory).
	// Default runtime.GOMAXPROCS(0).
	MaxConcurrentHashes int

	// PasswordCheck, when set, is called with every new login password that
	// passed the built-in policy: return a *PolicyError (wrapping
	// ErrWeakPassword) to refuse it, e.g. the pwned package's checker or a
	// host's larger blocklist. Any other error fails the request.
	PasswordCheck func(ctx context.Context, password string) error
	// Blocklist, when set, reports extra refused passwords: it is called with
	// the NFKC-normalised, lower-cased password.
	Blocklist func(normalized string) bool

	// SendVeto, when set, is asked before any code is sent, and before any
	// counter is touched: a send it refuses spends no budget of the client,
	// the account or the destination. A non-nil error refuses the send and
	// is returned as is (a captcha requirement, a SIM-swap signal). It
	// must not block for long.
	SendVeto func(ctx context.Context, req SendRequest) error

	// OnEvent receives security events (password changed, phone bound, ...),
	// synchronously: a flow's events on the flow's goroutine, before the
	// flow returns, in the order they were raised; a background delivery's
	// on the delivery's goroutine. Use it to end other sessions, audit,
	// alert. It never runs while the flow holds a hashing slot or a user's
	// turn at a password or PIN check (events raised meanwhile wait until
	// the flow has released them), and its context carries neither, so it
	// may call any Service method, for any user, with that context or
	// another.
	OnEvent func(ctx context.Context, e Event)
	// Observer, when set, receives traces' and metrics' signals: flows,
	// hashing, deliveries (see Observer). New copies it.
	Observer *Observer

	// Logger receives operational logs. Secrets never reach it; phones and
	// addresses are masked. Default: slog.Default().
	Logger *slog.Logger

	// Now returns the current time. Default time.Now.
	Now func() time.Time
	// Rand is the source of codes, tokens and handles. Default crypto/rand.
	// New reads 64 bytes from it and refuses a source that fails, repeats
	// itself, or gives zero or plainly non-random bytes.
	Rand io.Reader

	// QueueSize bounds messages waiting for background delivery (public
	// routes and notices). Default 1024. When it is full, public sends
	// answer ErrBusy, the same whether or not an account matched, and
	// notices are dropped and reported (EventDeliveryFailed).
	QueueSize int
	// Workers deliver background messages. Default 4.
	Workers int
	// DeliveryTimeout bounds one background delivery. Default 30s.
	DeliveryTimeout time.Duration
}

// SendRequest describes a code about to be sent, for Config.SendVeto.
type SendRequest struct {
	Channel Channel
	// To is the normalised destination (E.164 or email address).
	To       string
	Purpose  Purpose
	UserID   string
	ClientIP string
}

// Service runs the account-security flows on a Store and a Notifier. It is
// safe for concurrent use. Close it to drain background deliveries.
type Service struct {
	store    Store
	notifier Notifier
	cfg      Config
	lim      Limits
	hash     HashParams
	keys     keyring
	budget   budgetKeys
	// budgetFull is when, as far as this replica has seen, the code SMS
	// budget has room again (unix ns; see issueCode).
	budgetFull atomic.Int64
	phones     PhoneNormalizer
	allowCC    map[string]bool
	log        *slog.Logger
	now        func() time.Time
	rand       io.Reader
	link       *url.URL
	hashSem    chan struct{}
	legacy     *passhash.Schemes
	locks      keyLocks
	decoy      string
	obs        *Observer

	queue    chan job
	wg       sync.WaitGroup
	mu       sync.RWMutex
	closed   bool
	stopOnce sync.Once
}

// New returns a Service on store and notifier, or an error when cfg is
// invalid.
func New(store Store, notifier Notifier, cfg Config) (*Service, error) {
	if store == nil {
		return nil, errors.New("security: nil Store")
	}
	if notifier == nil {
		return nil, errors.New("security: nil Notifier")
	}
	keys, err := newKeyring(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Rand != nil {
		if err := validateRand(cfg.Rand); err != nil {
			return nil, err
		}
	}
	lim, err := cfg.Limits.withDefaults()
	if err != nil {
		return nil, err
	}
	hp, err := cfg.Hash.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Service{
		store:    store,
		notifier: notifier,
		cfg:      cfg,
		lim:      lim,
		hash:     hp,
		keys:     keys,
		log:      cfg.Logger,
		now:      cfg.Now,
		rand:     cfg.Rand,
	}
	s.budget = s.newBudgetKeys()
	if cfg.Observer != nil {
		o := *cfg.Observer
		s.obs = &o
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.cfg.DefaultRegion == "" {
		s.cfg.DefaultRegion = "CN"
	}
	if s.cfg.DefaultLocale == "" {
		s.cfg.DefaultLocale = "zh-CN"
	}
	s.phones = cfg.Phones
	if s.phones == nil {
		if s.phones, err = NewPhoneNormalizer(s.cfg.DefaultRegion); err != nil {
			return nil, err
		}
	}
	codes := cfg.AllowedCallingCodes
	if len(codes) == 0 {
		cc, ok := callingCode(s.cfg.DefaultRegion)
		if !ok {
			return nil, fmt.Errorf("security: unknown DefaultRegion %q; set AllowedCallingCodes", s.cfg.DefaultRegion)
		}
		codes = []string{cc}
	}
	s.allowCC = make(map[string]bool, len(codes))
	for _, c := range codes {
		s.allowCC[c] = true
	}
	if cfg.LinkBaseURL != "" {
		u, err := url.Parse(cfg.LinkBaseURL)
		if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && cfg.AllowInsecureLinks)) {
			return nil, errors.New("security: Config.LinkBaseURL must be an absolute https URL (http only with AllowInsecureLinks)")
		}
		s.link = u
	}
	n := cfg.MaxConcurrentHashes
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	s.hashSem = make(chan struct{}, n)
	if s.legacy = cfg.LegacyHashes; s.legacy == nil {
		s.legacy = passhash.Default()
	}
	if s.decoy, err = s.newDecoyHash(); err != nil {
		return nil, err
	}
	qs := cfg.QueueSize
	if qs <= 0 {
		qs = 1024
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = 4
	}
	if s.cfg.DeliveryTimeout <= 0 {
		s.cfg.DeliveryTimeout = 30 * time.Second
	}
	s.queue = make(chan job, qs)
	for range workers {
		s.wg.Add(1)
		go s.deliverLoop()
	}
	return s, nil
}

// Close stops accepting background deliveries and waits, up to ctx, for the
// queued ones to finish. Flows called after Close that need the queue
// return ErrClosed.
func (s *Service) Close(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.queue)
		s.mu.Unlock()
	})
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Client is what the Service knows of the request's origin. The HTTP adapter
// fills it in; a host calling the Go API directly should too: the per-IP
// send throttle applies only to requests with an IP.
type Client struct {
	// IP is the client's address, bare ("203.0.113.7", "2001:db8::1") or
	// as host:port (http.Request.RemoteAddr as it is). Anything else makes
	// the flows that throttle by IP fail with an error.
	IP        string
	Locale    string
	UserAgent string
	// DeviceToken is the token VerifyPassword issued to this client when
	// it last signed in, if the host kept it (see VerifyPassword).
	DeviceToken string
}

type clientKey struct{}

// WithClient returns a copy of ctx carrying c.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the Client carried by ctx, or the zero Client.
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

func (s *Service) locale(ctx context.Context) string {
	if l := ClientFrom(ctx).Locale; l != "" {
		return l
	}
	return s.cfg.DefaultLocale
}
