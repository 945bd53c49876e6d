package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Passwords and PINs the flows alternate between; all pass the policies.
var (
	loadPasswords = [2]string{"Plover-Orchid-71", "Quartz-Meadow-58"}
	loadPINs      = [2]string{"472915", "830264"}
)

// sendsPerAccount is how many codes one account requests before the
// client registers a fresh one: the Service's default per-account limit is
// 10 an hour.
const sendsPerAccount = 9

// phoneCooldown is the default gap between two sends to one phone, plus a
// margin.
const phoneCooldown = 61 * time.Second

// driver runs flows against one server.
type driver struct {
	base    string
	rec     *recorder
	codes   *codeBook // nil: codes cannot be read, code steps are skipped
	runID   string
	timeout time.Duration
	spread  bool // use a new 127.x.y.z source address per flow

	users  atomic.Int64
	phones atomic.Int64
	ips    atomic.Int64
	phone0 int64
}

// account is one registered user a client acts as.
type account struct {
	user      string
	pw        int // index into loadPasswords
	phone     string
	phoneFree time.Time // when the bound phone may get a code again
	pin       int       // index into loadPINs, -1 while unset
	sends     int
}

// errStop ends a client: the run is over.
var errStop = errors.New("stop")

// step is one request's result: the envelope's code and data key.
type stepResult struct {
	code, key string
	flow      string // X-Security-Flow response header
}

// client is one virtual user agent.
type client struct {
	d    *driver
	http *http.Client
	acct *account
	rnd  *rand.Rand
}

func (d *driver) newClient(seed uint64) *client {
	return &client{d: d, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// connect gives c a fresh HTTP client, from a new loopback source address
// when spreading, so the server's per-IP throttle sees many clients.
func (c *client) connect() {
	if c.http != nil {
		c.http.CloseIdleConnections()
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if c.d.spread {
		n := c.d.ips.Add(1)
		// 127.1.0.1 onwards: 16 million addresses, all routed to lo.
		ip := net.IPv4(127, byte(1+n/64000%250), byte(n/250%256), byte(1+n%250))
		dialer.LocalAddr = &net.TCPAddr{IP: ip}
	}
	c.http = &http.Client{
		Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 1, ResponseHeaderTimeout: c.d.timeout},
		Timeout:   c.d.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// do sends one request of step and records it. It returns errStop when the
// run is over, and a non-nil error for any answer but want.
func (c *client) do(ctx context.Context, step, method, path, user string, form url.Values, hdr http.Header, want string) (stepResult, error) {
	if ctx.Err() != nil || !c.d.rec.take() {
		return stepResult{}, errStop
	}
	target := c.d.base + path
	var body io.Reader
	if method == http.MethodGet {
		target += "?" + form.Encode()
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return stepResult{}, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.Header.Set("X-User-ID", user)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	var res stepResult
	if err == nil {
		var env struct {
			Code string          `json:"code"`
			Data json.RawMessage `json:"data"`
		}
		derr := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&env)
		resp.Body.Close()
		if derr != nil {
			err = derr
		} else {
			res.code = env.Code
			res.flow = resp.Header.Get("X-Security-Flow")
			if err := json.Unmarshal(env.Data, &res.key); err != nil {
				res.key = "(object)"
			}
		}
	}
	elapsed := time.Since(start)
	switch {
	case err != nil && ctx.Err() != nil:
		c.d.rec.request(step, outcomeCancelled, elapsed, "")
		return res, errStop
	case err != nil:
		c.d.rec.request(step, outcomeError, elapsed, "transport")
		c.connect()
		return res, err
	case res.code == want:
		c.d.rec.request(step, outcomeOK, elapsed, "")
		return res, nil
	case res.code == "429":
		c.d.rec.request(step, outcomeThrottled, elapsed, "")
		return res, errThrottled
	default:
		c.d.rec.request(step, outcomeError, elapsed, res.code+"/"+res.key)
		return res, errors.New(step + ": " + res.code + " " + res.key)
	}
}

var errThrottled = errors.New("throttled")

func form(kv ...string) url.Values {
	f := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// newPhone returns a phone no other client of this run uses.
func (d *driver) newPhone() string {
	n := (d.phone0 + d.phones.Add(1)) % 100_000_000
	s := strconv.FormatInt(n, 10)
	return "137" + strings.Repeat("0", 8-len(s)) + s
}

// run loops over flows until fc.soft ends or the request budget is spent.
// A flow under way when fc.soft ends runs to its end; its requests are
// bounded by fc.hard.
func (c *client) run(fc flowContext) {
	ctx := fc.hard
	c.connect()
	defer func() { c.http.CloseIdleConnections() }()
	for fc.soft.Err() == nil {
		if c.d.spread {
			c.connect()
		}
		var name string
		var f func(context.Context) error
		switch {
		case c.acct == nil || c.acct.sends >= sendsPerAccount:
			name, f = "register", c.register
		default:
			switch w := c.rnd.IntN(100); {
			case w < 30 && time.Now().After(c.acct.phoneFree):
				name, f = "change_phone", c.changePhone
			case w < 55:
				name, f = "change_password", c.changePassword
			case w < 80:
				name, f = "pay_password", c.payPassword
			case time.Now().After(c.acct.phoneFree):
				name, f = "forgot_password", c.forgotPassword
			default:
				name, f = "change_password", c.changePassword
			}
		}
		start := time.Now()
		err := f(ctx)
		switch {
		case errors.Is(err, errStop):
			c.d.rec.flow(name, outcomeCancelled, 0)
			return
		case errors.Is(err, errThrottled):
			c.d.rec.flow(name, outcomeThrottled, time.Since(start))
		case err != nil:
			c.d.rec.flow(name, outcomeError, time.Since(start))
		default:
			c.d.rec.flow(name, outcomeOK, time.Since(start))
		}
	}
}

func (c *client) register(ctx context.Context) error {
	// The phone is registered as already verified: it has had no code
	// yet, so forgot-password can start at once.
	user := "load-" + c.d.runID + "-" + strconv.FormatInt(c.d.users.Add(1), 10)
	phone := c.d.newPhone()
	if _, err := c.do(ctx, "register", http.MethodPost, "/demo/register", "",
		form("userId", user, "password", loadPasswords[0], "phone", phone), nil, "201"); err != nil {
		return err
	}
	c.acct = &account{user: user, pin: -1, phone: phone}
	return nil
}

// changePhone moves the account to a new phone: a code to the bound phone
// (proof of it), a code to the new one, then bindingPhone with both.
func (c *client) changePhone(ctx context.Context) error {
	a := c.acct
	phone := c.d.newPhone()
	var waitOld, waitNew <-chan string
	if c.d.codes != nil {
		waitOld = c.d.codes.expect("confirm_phone", "+86"+a.phone)
		defer c.d.codes.forget("confirm_phone", "+86"+a.phone)
		waitNew = c.d.codes.expect("bind_phone", "+86"+phone)
		defer c.d.codes.forget("bind_phone", "+86"+phone)
	}
	a.sends += 2
	if _, err := c.do(ctx, "phone.send_current", http.MethodGet, "/member/userservice/security", a.user, form("phone", a.phone), nil, "200"); err != nil {
		return err
	}
	if _, err := c.do(ctx, "phone.send_new", http.MethodGet, "/member/userservice/security", a.user, form("phone", phone), nil, "200"); err != nil {
		return err
	}
	if waitOld == nil {
		return nil // no codes to read: the sends were the flow
	}
	oldCode, err := c.d.codes.await(ctx, waitOld, c.d.timeout)
	if err != nil {
		c.d.rec.request("phone.code", outcomeError, 0, "code not printed")
		return err
	}
	newCode, err := c.d.codes.await(ctx, waitNew, c.d.timeout)
	if err != nil {
		c.d.rec.request("phone.code", outcomeError, 0, "code not printed")
		return err
	}
	if _, err := c.do(ctx, "phone.change", http.MethodPut, "/member/userservice/security/bindingPhone", a.user,
		form("phone", phone, "message", newCode, "oldMessage", oldCode), nil, "201"); err != nil {
		return err
	}
	a.phone, a.phoneFree = phone, time.Now().Add(phoneCooldown)
	return nil
}

func (c *client) changePassword(ctx context.Context) error {
	a := c.acct
	if _, err := c.do(ctx, "change_password", http.MethodPut, "/member/userservice/security", a.user,
		form("oldPassword", loadPasswords[a.pw], "newPasswordFirst", loadPasswords[1-a.pw]), nil, "201"); err != nil {
		return err
	}
	a.pw = 1 - a.pw
	return nil
}

// payPassword sets the first PIN, then updates it on later calls.
func (c *client) payPassword(ctx context.Context) error {
	a := c.acct
	if a.pin < 0 {
		if _, err := c.do(ctx, "pay.set", http.MethodPut, "/member/userservice/security/payPassword", a.user,
			form("payPasswordFirst", loadPINs[0]), nil, "201"); err != nil {
			return err
		}
		a.pin = 0
		return nil
	}
	if _, err := c.do(ctx, "pay.update", http.MethodPut, "/member/userservice/security/updatePayPassword", a.user,
		form("oldPassword", loadPINs[a.pin], "payPasswordFirst", loadPINs[1-a.pin]), nil, "201"); err != nil {
		return err
	}
	a.pin = 1 - a.pin
	return nil
}

// forgotPassword: start with the bound phone, verify the code, set a new
// password.
func (c *client) forgotPassword(ctx context.Context) error {
	a := c.acct
	var wait <-chan string
	if c.d.codes != nil {
		wait = c.d.codes.expect("forgot_password", "+86"+a.phone)
		defer c.d.codes.forget("forgot_password", "+86"+a.phone)
	}
	a.phoneFree = time.Now().Add(phoneCooldown)
	res, err := c.do(ctx, "forgot.start", http.MethodGet, "/web/userservice/security", "", form("phone", a.phone), nil, "200")
	if err != nil || wait == nil {
		return err
	}
	code, err := c.d.codes.await(ctx, wait, c.d.timeout)
	if err != nil {
		c.d.rec.request("forgot.code", outcomeError, 0, "code not printed")
		return err
	}
	hdr := http.Header{"X-Security-Flow": {res.flow}}
	res, err = c.do(ctx, "forgot.verify", http.MethodPost, "/web/userservice/security", "", form("message", code), hdr, "201")
	if err != nil {
		return err
	}
	// Step 1 replaces the handle; the start's is void.
	hdr = http.Header{"X-Security-Flow": {res.flow}}
	if _, err := c.do(ctx, "forgot.complete", http.MethodPut, "/web/userservice/security", "",
		form("phone", a.phone, "passwordFirst", loadPasswords[1-a.pw]), hdr, "201"); err != nil {
		return err
	}
	a.pw = 1 - a.pw
	return nil
}
