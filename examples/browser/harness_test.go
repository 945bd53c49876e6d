package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security/examples/internal/demotest"
	"github.com/acctsec/security/examples/server/app"
)

// Bounds on the waits. A test's whole run is bounded by testTimeout; each
// step (an action, or a wait for a selector or a text) by stepTimeout.
const (
	startTimeout = 30 * time.Second
	testTimeout  = 45 * time.Second
	stepTimeout  = 10 * time.Second
)

// The one Chromium of the test binary, started on first use; each test
// gets a browser context of its own (cookies, storage) in it.
var browser struct {
	once   sync.Once
	ctx    context.Context
	err    error
	stop   func()
	tmpDir string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.stop != nil {
		browser.stop()
	}
	if browser.tmpDir != "" {
		os.RemoveAll(browser.tmpDir)
	}
	os.Exit(code)
}

// findChromium returns the browser binary: $ACCTSEC_CHROMIUM, else
// /usr/bin/chromium, else the first usual name on PATH.
func findChromium() (string, error) {
	if p := os.Getenv("ACCTSEC_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("ACCTSEC_CHROMIUM: %w", err)
		}
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found (set ACCTSEC_CHROMIUM or run .ci/install-chromium.sh)")
}

// startBrowser launches Chromium headless with a fresh profile.
func startBrowser() {
	path, err := findChromium()
	if err != nil {
		browser.err = err
		return
	}
	dir, err := os.MkdirTemp("", "acctsec-chromium-")
	if err != nil {
		browser.err = err
		return
	}
	browser.tmpDir = dir
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	browser.stop = func() { cancel(); cancelAlloc() }
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err = <-started:
	case <-time.After(startTimeout):
		err = errors.New("Chromium did not start in time")
	}
	if err != nil {
		browser.stop()
		browser.stop = nil
		browser.err = fmt.Errorf("starting %s: %w", path, err)
		return
	}
	browser.ctx = ctx
}

// sharedBrowser returns the browser's context, or skips the test when
// there is none (fails it with ACCTSEC_REQUIRE_BROWSER=1).
func sharedBrowser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() && os.Getenv("ACCTSEC_REQUIRE_BROWSER") != "1" {
		t.Skip("-short: the browser walks run in the full suite (bash scripts/test.sh -full)")
	}
	browser.once.Do(startBrowser)
	if browser.err != nil {
		if os.Getenv("ACCTSEC_REQUIRE_BROWSER") == "1" {
			t.Fatalf("ACCTSEC_REQUIRE_BROWSER=1: %v", browser.err)
		}
		t.Skipf("no browser: %v", browser.err)
	}
	return browser.ctx
}

// request is what the site saw of one request.
type request struct {
	Method, Path string
	// FetchSite is the Sec-Fetch-Site header the browser sent.
	FetchSite string
	// Session and Flow tell whether the demo session cookie and the
	// forgot-password flow cookie came along; FlowHeader whether the
	// X-Security-Flow header did.
	Session, Flow, FlowHeader bool
	AcceptLanguage            string
	Status                    int
}

// site is one examples/server app behind an httptest server.
type site struct {
	base string
	app  *app.App
	// clock is the app's clock: a test moves it past a send cooldown
	// instead of waiting a minute.
	clock *demotest.Clock

	mu       sync.Mutex
	requests []request
}

// newSite serves a fresh app on host (an IP of the loopback network).
func newSite(t *testing.T, host string) *site {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(nil)
	srv.Listener.Close()
	srv.Listener = ln
	s := &site{base: "http://" + ln.Addr().String(), clock: demotest.NewClock()}
	s.app, err = app.New(app.Options{
		Base:   s.base,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    s.clock.Now,
	})
	require.NoError(t, err)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		_, noSession := r.Cookie(app.SessionCookie)
		_, noFlow := r.Cookie("acctsec_flow")
		rec := request{
			Method: r.Method, Path: r.URL.Path, FetchSite: r.Header.Get("Sec-Fetch-Site"),
			Session: noSession == nil, Flow: noFlow == nil, FlowHeader: r.Header.Get("X-Security-Flow") != "",
			AcceptLanguage: r.Header.Get("Accept-Language"),
		}
		s.app.Handler.ServeHTTP(rw, r)
		rec.Status = rw.status
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
	})
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.app.Close(ctx))
	})
	return s
}

// seen returns the requests the site answered for method and path.
func (s *site) seen(method, path string) []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []request
	for _, r := range s.requests {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// sentTo tells whether the dev inbox holds a message to addr.
func (s *site) sentTo(addr string) bool {
	for _, m := range s.app.Inbox.Messages() {
		if m.To == addr {
			return true
		}
	}
	return false
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// page is one browser tab, in a browser context of its own, on a site.
type page struct {
	t    *testing.T
	ctx  context.Context
	site *site
}

// open starts a tab in a new browser context. The tab lives until the
// test ends or testTimeout passes.
func open(t *testing.T, s *site) *page {
	t.Helper()
	tab, cancelTab := chromedp.NewContext(sharedBrowser(t), chromedp.WithNewBrowserContext())
	ctx, cancel := context.WithTimeout(tab, testTimeout)
	t.Cleanup(func() { cancel(); cancelTab() })
	require.NoError(t, chromedp.Do(ctx)) // opens the tab, bound to ctx
	return &page{t: t, ctx: ctx, site: s}
}

// step returns a context for one step, bounded by stepTimeout.
func (p *page) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(p.ctx, stepTimeout)
}

// do performs steps, bounded by stepTimeout.
func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	require.NoError(p.t, chromedp.Do(ctx, steps...))
}

// eval evaluates a JavaScript expression into a T.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(p.t, err, expr)
	return v
}

// setLanguages makes the tab's browser languages (navigator.languages
// and Accept-Language) acceptLanguage, before anything is loaded.
func (p *page) setLanguages(acceptLanguage string) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	v, err := chromedp.CallBrowser(ctx, cdpbrowser.GetVersion, cdp.Empty{})
	require.NoError(p.t, err)
	_, err = chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
		UserAgent: v.UserAgent, AcceptLanguage: acceptLanguage,
	})
	require.NoError(p.t, err)
}

// js is s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// load opens the page and waits until it has asked who is signed in and
// read the inbox.
func (p *page) load() {
	p.t.Helper()
	p.do(chromedp.Navigate(p.site.base+"/"), chromedp.WaitVisible(chromedp.CSS("body.ready")))
}

// fill types text into the input sel, as a person would, after emptying
// it (chromedp.Clear only resets the value attribute, not what was typed,
// and SetValue cannot set "").
func (p *page) fill(sel, text string) {
	p.t.Helper()
	p.do(chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector(`+js(sel)+`).value = ''`),
		chromedp.SendKeys(chromedp.CSS(sel), text))
}

// click clicks the element sel once it is visible.
func (p *page) click(sel string) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// clickAndLoad clicks sel, which navigates, and waits for the next
// document's load event.
func (p *page) clickAndLoad(sel string) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil,
		chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)))
	require.NoError(p.t, err)
}

// visible waits until sel is visible.
func (p *page) visible(sel string) {
	p.t.Helper()
	p.do(chromedp.WaitVisible(chromedp.CSS(sel)))
}

// hiddenNow waits until sel is not shown.
func (p *page) hiddenNow(sel string) {
	p.t.Helper()
	p.waitFor(sel+" to be hidden", `!document.querySelector(`+js(sel)+`).checkVisibility()`, `document.querySelector(`+js(sel)+`).outerHTML.slice(0, 80)`)
}

// text returns the text content of sel.
func (p *page) text(sel string) string {
	p.t.Helper()
	p.do(chromedp.WaitReady(chromedp.CSS(sel)))
	return eval[string](p, `document.querySelector(`+js(sel)+`).textContent`)
}

// waitFor polls the JavaScript expression until it is truthy; what says
// what was awaited, and actual is evaluated for the failure message.
func (p *page) waitFor(what, expr, actual string) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	var err error
	for {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond)))
		// A navigation destroys the document the poll ran in; poll the
		// next one.
		if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "context") {
			break
		}
	}
	if err != nil {
		got, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](actual))
		p.t.Fatalf("waiting for %s: %v; found %q", what, err, got)
	}
}

// textOf is a JavaScript expression for the text of sel.
func textOf(sel string) string {
	return `(document.querySelector(` + js(sel) + `) || {textContent: "<no such element>"}).textContent`
}

// waitText waits until the text of sel is want.
func (p *page) waitText(sel, want string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("%s to read %q", sel, want), textOf(sel)+` === `+js(want), textOf(sel))
}

// waitMsg waits until the message next to the form formSel says want, as
// an error or not.
func (p *page) waitMsg(formSel, want string, isError bool) {
	p.t.Helper()
	sel := formSel + " .msg"
	cls := "ok"
	if isError {
		cls = "error"
	}
	p.waitFor(fmt.Sprintf("%s to say %q (%s)", sel, want, cls),
		textOf(sel)+` === `+js(want)+` && document.querySelector(`+js(sel)+`).classList.contains(`+js(cls)+`)`, textOf(sel))
}

// newestInboxID is the ID of the newest message the dev inbox panel
// shows, 0 if none.
func (p *page) newestInboxID() int {
	p.t.Helper()
	return eval[int](p, `Number((document.querySelector('#inbox li') || {dataset: {id: 0}}).dataset.id)`)
}

// inboxEntry waits for the dev inbox panel to show a message newer than
// after, for purpose, to to, and returns the selector of the newest such
// entry.
func (p *page) inboxEntry(after int, purpose, to string) string {
	p.t.Helper()
	sel := fmt.Sprintf(`#inbox li[data-purpose=%s][data-to=%s]`, js(purpose), js(to))
	p.waitFor(fmt.Sprintf("a %s message to %s in the dev inbox", purpose, to),
		fmt.Sprintf(`Number((document.querySelector(%s) || {dataset: {id: 0}}).dataset.id) > %d`, js(sel), after),
		`document.querySelector('#inbox').innerText`)
	return sel
}

// inboxCode reads, from the dev inbox panel, the code of the newest
// message for purpose to to, once one newer than after shows.
func (p *page) inboxCode(after int, purpose, to string) string {
	p.t.Helper()
	sel := p.inboxEntry(after, purpose, to)
	code := p.text(sel + " .code")
	require.Regexp(p.t, `^[0-9]{6}$`, code)
	return code
}

// otherCode is a 6-digit code that is not code.
func otherCode(code string) string {
	b := []byte(code)
	b[5] = '0' + (b[5]-'0'+1)%10
	return string(b)
}

// noScriptCookies asserts that the page's scripts see no cookie: the
// session and the flow cookie are HttpOnly.
func (p *page) noScriptCookies() {
	p.t.Helper()
	require.Empty(p.t, eval[string](p, `document.cookie`))
}

// register creates a member with the page's form, which signs in, and
// waits for the status.
func (p *page) register(user, password, phone, email string) {
	p.t.Helper()
	p.fill("#reg-user", user)
	p.fill("#reg-pass", password)
	if phone != "" {
		p.fill("#reg-phone", phone)
	}
	if email != "" {
		p.fill("#reg-email", email)
	}
	p.click("#f-register button[type=submit]")
	p.waitText("#who", user)
	p.visible("#status-card")
	p.hiddenNow("#signed-out")
	p.hiddenNow("#forgot")
	p.waitFor("the status", `document.querySelector('#st-password').textContent !== ''`, `document.querySelector('#status').innerText`)
}

// signIn fills and submits the sign-in form.
func (p *page) signIn(user, password string) {
	p.t.Helper()
	p.fill("#signin-user", user)
	p.fill("#signin-pass", password)
	p.click("#f-signin button[type=submit]")
}

// signOut signs out and waits for the signed-out view.
func (p *page) signOut() {
	p.t.Helper()
	p.click("#signout")
	p.visible("#f-signin")
	p.hiddenNow("#security")
	p.hiddenNow("#signed-in")
}

// bodyJSON waits until the tab shows a JSON envelope (an API answer opened
// as a document, which Chromium shows in a <pre>) at a URL starting with
// prefix, and decodes it.
func (p *page) bodyJSON(prefix string) map[string]any {
	p.t.Helper()
	const pre = `(document.querySelector('body > pre') || {textContent: ''}).textContent`
	p.waitFor("a JSON answer from "+prefix,
		`document.readyState === 'complete' && location.href.startsWith(`+js(prefix)+`) && `+pre+`.trim().startsWith('{')`,
		`location.href + " " + (document.body ? document.body.innerText : "")`)
	body := eval[string](p, pre)
	var env map[string]any
	require.NoError(p.t, json.Unmarshal([]byte(strings.TrimSpace(body)), &env), body)
	return env
}
