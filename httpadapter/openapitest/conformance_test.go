package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/acctsec/security/httpadapter"
)

// The email-link pages are text/html; kin-openapi decodes no such body
// unless told, and the description's schema for them is a string.
func init() {
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
}

// loadDescription parses httpadapter's description with kin-openapi's
// loader and validates it as an OpenAPI 3.1 document.
func loadDescription(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(httpadapter.OpenAPI())
	if err != nil {
		t.Fatalf("loading the description: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.IsOpenAPI32OrLater() {
		t.Fatalf("the description is OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the description is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// TestDescriptionIsValid: the document itself, by the library's validator.
func TestDescriptionIsValid(t *testing.T) {
	doc := loadDescription(t)
	if len(operations(doc)) == 0 {
		t.Fatal("no operations")
	}
}

// operations returns the described operations by "METHOD path".
func operations(doc *openapi3.T) map[string]*openapi3.Operation {
	ops := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops[method+" "+path] = op
		}
	}
	return ops
}

// declaredKeys returns the error keys op declares, with their status: the
// const of each schema the data field of an error response may be. A HEAD
// operation declares none: its responses have no body.
func declaredKeys(t *testing.T, name string, op *openapi3.Operation) map[string]int {
	t.Helper()
	keys := map[string]int{}
	for status, rr := range op.Responses.Map() {
		code, err := strconv.Atoi(status)
		if err != nil {
			t.Fatalf("%s: response %q: only numeric statuses are described", name, status)
		}
		if strings.HasPrefix(name, http.MethodHead+" ") {
			if len(rr.Value.Content) > 0 {
				t.Fatalf("%s %s: a HEAD response has no body to describe", name, status)
			}
			continue
		}
		if code < 400 {
			continue
		}
		for key := range responseKeys(t, name+" "+status, rr.Value) {
			keys[key] = code
		}
	}
	return keys
}

// responseKeys returns the error keys an error response declares.
func responseKeys(t *testing.T, where string, r *openapi3.Response) map[string]bool {
	t.Helper()
	mt := r.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		t.Fatalf("%s: no application/json schema", where)
	}
	keys, err := schemaKeys(mt.Schema.Value)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return keys
}

// schemaKeys returns the error keys an error envelope's schema allows:
// the const of each schema its data field may be.
func schemaKeys(s *openapi3.Schema) (map[string]bool, error) {
	data := s.Properties["data"]
	if data == nil || data.Value == nil {
		return nil, errors.New("the schema does not constrain data")
	}
	alts := data.Value.OneOf
	if len(alts) == 0 {
		alts = openapi3.SchemaRefs{data}
	}
	keys := map[string]bool{}
	for _, alt := range alts {
		key, ok := alt.Value.Const.(string)
		if !ok || key == "" {
			return nil, errors.New("data must be one of the ErrorKey constants")
		}
		keys[key] = true
	}
	return keys, nil
}

// unrouted returns the response the description gives for an unknown path
// ("unknownPath") or method ("unknownMethod"), from x-acctsec-unrouted.
func unrouted(t *testing.T, doc *openapi3.T, which string) *openapi3.ResponseRef {
	t.Helper()
	ext, _ := doc.Extensions["x-acctsec-unrouted"].(map[string]any)
	ref, _ := ext[which].(string)
	name, ok := strings.CutPrefix(ref, "#/components/responses/")
	if !ok || doc.Components.Responses[name] == nil {
		t.Fatalf("x-acctsec-unrouted.%s must name a component response, not %q", which, ref)
	}
	return doc.Components.Responses[name]
}

// envelope is a decoded response body.
type envelope struct {
	Code string          `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

func (e envelope) key() string {
	var s string
	_ = json.Unmarshal(e.Data, &s)
	return s
}

// refusedBeforeParameters are the keys answered before, or instead of,
// accepting the parameters: their requests are not expected to match the
// description. invalid_argument and body_too_large are refusals of the
// parameters themselves; cross_origin and a member route's unauthenticated
// come before the body is read.
var refusedBeforeParameters = map[string]bool{
	"invalid_argument": true, "body_too_large": true, "cross_origin": true,
	"not_found": true, "method_not_allowed": true,
}

// routeRefusals are keys that refuse a parameter's form on one route only:
// the email link's GET (and HEAD) answers invalid_code to a token that is
// not of the link's form, which the description's pattern refuses too.
var routeRefusals = map[string]map[string]bool{
	"GET /web/userservice/security/verifyMail":  {"invalid_code": true},
	"HEAD /web/userservice/security/verifyMail": {"invalid_code": true},
}

// refusal reports whether key, answered on the route name, refuses the
// request before (or instead of) accepting its parameters.
func refusal(name, key string) bool {
	_, path, _ := strings.Cut(name, " ")
	return refusedBeforeParameters[key] || routeRefusals[name][key] ||
		strings.HasPrefix(path, "/member/") && key == "unauthenticated"
}

// coverage accumulates what the recorded exchanges exercised.
type coverage struct {
	exercised  map[string]int             // by "METHOD path"
	produced   map[string]map[string]bool // error keys by "METHOD path"
	mediaTypes map[string]map[string]bool // accepted request bodies by "METHOD path"
	// answered holds "status media-type" by "METHOD path", for the
	// responses whose status is the HTTP status (not under AlwaysHTTP200);
	// HEAD answers count under the media type of their Content-Type.
	answered map[string]map[string]bool
	unrouted map[string]bool // not_found, method_not_allowed
	requests int             // requests validated
	pages    int             // HTML pages validated
}

func add(m map[string]map[string]bool, k, v string) {
	if m[k] == nil {
		m[k] = map[string]bool{}
	}
	m[k][v] = true
}

// TestAdapterConformsToDescription runs httpadapter's tests, recording
// every exchange, and validates each against the description; then checks
// that the tests exercised every described operation, body encoding,
// error key and response (each status in each media type), and that the
// description covers every route served.
//
// Error keys are counted from the envelopes only: an HTML error page has
// no data key, and its status does not name one (verifyMail's "400" page
// may be invalid_argument, invalid_email or invalid_code). A page is
// checked against the responses its route declares for its status, and
// every page a route declares must be answered by some test.
func TestAdapterConformsToDescription(t *testing.T) {
	doc := loadDescription(t)
	ops := operations(doc)
	rec := recording(t)
	served := rec.served
	cov, failures := validateAll(t, doc, rec.xs)
	for i, f := range failures {
		if i == 40 {
			break
		}
		t.Error(f)
	}
	if len(failures) > 0 {
		t.Errorf("%d of %d exchanges do not match the description", len(failures), len(rec.xs))
	}
	t.Logf("%d responses (%d of them HTML pages) and %d requests validated", len(rec.xs), cov.pages, cov.requests)

	// Every route served is described, and every described route served.
	var described []string
	for name := range ops {
		described = append(described, name)
	}
	sort.Strings(described)
	if !slices.Equal(served, described) {
		t.Errorf("routes served (httpadapter's route table):\n  %s\nroutes described:\n  %s",
			strings.Join(served, "\n  "), strings.Join(described, "\n  "))
	}

	for _, name := range described {
		op := ops[name]
		if cov.exercised[name] == 0 {
			t.Errorf("%s: described, never exercised by httpadapter's tests", name)
		}
		if op.RequestBody != nil {
			for mt := range op.RequestBody.Value.Content {
				if !cov.mediaTypes[name][mt] {
					t.Errorf("%s: no test sends an accepted %s body", name, mt)
				}
			}
		}
		declared := declaredKeys(t, name, op)
		for key := range declared {
			why, allowed := unreachable[name][key]
			switch produced := cov.produced[name][key]; {
			case produced && allowed:
				t.Errorf("%s: %s is produced by a test now; drop it from unreachable (%s)", name, key, why)
			case !produced && !allowed:
				t.Errorf("%s: declares %s, which no test produces (add a test, or explain it in unreachable)", name, key)
			}
		}
		for key := range unreachable[name] {
			if _, ok := declared[key]; !ok {
				t.Errorf("%s: unreachable lists %s, which the description does not declare", name, key)
			}
		}
		for _, resp := range declaredResponses(op) {
			why, allowed := unanswered[name][resp]
			switch answered := cov.answered[name][resp]; {
			case answered && allowed:
				t.Errorf("%s: a test answers %s now; drop it from unanswered (%s)", name, resp, why)
			case !answered && !allowed:
				t.Errorf("%s: declares the response %s, which no test answers (add a test, or explain it in unanswered)", name, resp)
			}
		}
		for resp := range unanswered[name] {
			if !slices.Contains(declaredResponses(op), resp) {
				t.Errorf("%s: unanswered lists %s, which the description does not declare", name, resp)
			}
		}
	}
	for name := range unreachable {
		if ops[name] == nil {
			t.Errorf("unreachable names %s, which is not described", name)
		}
	}
	for name := range unanswered {
		if ops[name] == nil {
			t.Errorf("unanswered names %s, which is not described", name)
		}
	}
	for _, key := range []string{"not_found", "method_not_allowed"} {
		if !cov.unrouted[key] {
			t.Errorf("no test produced %s", key)
		}
	}
}

// declaredResponses returns the responses op declares as "status
// media-type", one per media type of each status; a response without
// content (HEAD's) as "status *", answered by any media type.
func declaredResponses(op *openapi3.Operation) []string {
	var out []string
	for status, rr := range op.Responses.Map() {
		if len(rr.Value.Content) == 0 {
			out = append(out, status+" *")
		}
		for mt := range rr.Value.Content {
			out = append(out, status+" "+mt)
		}
	}
	sort.Strings(out)
	return out
}

// facts are what check needs from the description besides its paths.
type facts struct {
	notFound, notAllowed *openapi3.ResponseRef
	// cookie and insecureCookie are the flow cookie's default names.
	cookie, insecureCookie string
}

func describedFacts(t *testing.T, doc *openapi3.T) facts {
	t.Helper()
	f := facts{notFound: unrouted(t, doc, "unknownPath"), notAllowed: unrouted(t, doc, "unknownMethod")}
	p := doc.Components.Parameters["FlowCookie"]
	if p == nil || p.Value == nil || p.Value.In != openapi3.ParameterInCookie {
		t.Fatal("the description has no FlowCookie cookie parameter")
	}
	f.cookie = p.Value.Name
	f.insecureCookie, _ = p.Value.Extensions["x-acctsec-insecure-name"].(string)
	if f.cookie == "" || f.insecureCookie == "" {
		t.Fatal("FlowCookie must name the cookie and its x-acctsec-insecure-name")
	}
	return f
}

// validateAll validates every exchange against doc and returns the
// coverage and the failures.
func validateAll(t *testing.T, doc *openapi3.T, xs []exchange) (coverage, []error) {
	f := describedFacts(t, doc)
	cov := coverage{exercised: map[string]int{}, produced: map[string]map[string]bool{},
		mediaTypes: map[string]map[string]bool{}, answered: map[string]map[string]bool{}, unrouted: map[string]bool{}}
	var failures []error
	for _, x := range xs {
		if err := check(doc, x, &cov, f); err != nil {
			body := x.ResponseBody
			if len(body) > 300 {
				body = append(body[:300:300], "..."...)
			}
			failures = append(failures, fmt.Errorf("%s: %s %s -> %d %s\n%w", x.Test, x.Method, x.Target, x.Status, body, err))
		}
	}
	return cov, failures
}

// checkFlowCookie: the handler used the cookie name the description gives
// for its options, and every cookie it set has that name, unless the
// response is one where the description lets the host set its own
// (hostCookies: a Set-Cookie header marked x-acctsec-set-by, the session
// that Options.OnLogin starts).
func checkFlowCookie(x exchange, f facts, hostCookies bool) error {
	want := f.cookie
	if x.InsecureCookies {
		want = f.insecureCookie
	}
	if x.FlowCookieName != want {
		return fmt.Errorf("the flow cookie is %q (InsecureCookies %v), but the description names %q", x.FlowCookieName, x.InsecureCookies, want)
	}
	if hostCookies {
		return nil
	}
	for _, sc := range http.Header(x.ResponseHeader).Values("Set-Cookie") {
		if name, _, _ := strings.Cut(sc, "="); name != x.FlowCookieName {
			return fmt.Errorf("Set-Cookie names %q, not the flow cookie %q", name, x.FlowCookieName)
		}
	}
	return nil
}

// hostSetsCookies reports whether resp lets the host set cookies of its
// own: its Set-Cookie header is marked x-acctsec-set-by.
func hostSetsCookies(resp *openapi3.Response) bool {
	h := resp.Headers["Set-Cookie"]
	if h == nil || h.Value == nil {
		return false
	}
	by, _ := h.Value.Extensions["x-acctsec-set-by"].(string)
	return by != ""
}

// checkMediaHeaders: the headers a response declares with
// x-acctsec-required-with are sent with that media type and only with it.
func checkMediaHeaders(resp *openapi3.Response, mt string, hdr http.Header) error {
	for name, h := range resp.Headers {
		with, ok := h.Value.Extensions["x-acctsec-required-with"].(string)
		if !ok {
			continue
		}
		switch sent := hdr.Get(name) != ""; {
		case with == mt && !sent:
			return fmt.Errorf("response header %s is required with %s and missing", name, mt)
		case with != mt && sent:
			return fmt.Errorf("response header %s is sent with %s, though described for %s only", name, mt, with)
		}
	}
	return nil
}

// check validates one exchange and records its coverage.
func check(doc *openapi3.T, x exchange, cov *coverage, f facts) error {
	u, err := url.ParseRequestURI(x.Target)
	if err != nil {
		return err
	}
	path, routed := u.Path, true
	if x.PathPrefix != "" {
		prefix := "/" + strings.Trim(x.PathPrefix, "/")
		rest, ok := strings.CutPrefix(path, prefix)
		path, routed = rest, ok && strings.HasPrefix(rest, "/")
	}
	head := x.Method == http.MethodHead
	var env envelope
	mt, _, _ := mime.ParseMediaType(http.Header(x.ResponseHeader).Get("Content-Type"))
	page := mt == "text/html"
	if !head && mt == "application/json" {
		if err := json.Unmarshal(x.ResponseBody, &env); err != nil {
			return fmt.Errorf("response is not an envelope: %v", err)
		}
	}
	// keyed: the body is an envelope, whose data names an error. A page or
	// a HEAD answer names none.
	keyed := !head && !page
	status := x.Status
	if x.AlwaysHTTP200 {
		if status != http.StatusOK {
			return fmt.Errorf("AlwaysHTTP200 answered HTTP %d", status)
		}
		if keyed {
			if status, err = strconv.Atoi(env.Code); err != nil {
				return fmt.Errorf("code %q", env.Code)
			}
		}
		// A page or a HEAD answer is checked as the 200 it is sent as.
	}
	key := ""
	if keyed && status >= 400 {
		key = env.key()
	}

	query, body := withoutIgnored(x, u.RawQuery, http.Header(x.Header).Get("Content-Type"))
	req, err := http.NewRequest(x.Method, "http://"+x.Host+path+"?"+query, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = x.Header
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.ContentLength = int64(len(body))

	var item *openapi3.PathItem
	if routed {
		item = mounted(doc.Paths.Value(path), x.Options)
	}
	route := &routers.Route{Spec: doc, Path: path, PathItem: item, Method: x.Method}
	if item != nil {
		route.Operation = item.GetOperation(x.Method)
	}
	described := route.Operation != nil
	switch {
	case item == nil:
		if status != http.StatusNotFound || (keyed && key != "not_found") {
			return fmt.Errorf("an undescribed path answered %d %s", status, key)
		}
		cov.unrouted["not_found"] = true
		route.Operation = &openapi3.Operation{Responses: openapi3.NewResponses(openapi3.WithStatus(404, f.notFound))}
	case route.Operation == nil:
		if status != http.StatusMethodNotAllowed || (keyed && key != "method_not_allowed") {
			return fmt.Errorf("an undescribed method answered %d %s", status, key)
		}
		var methods []string
		for m := range item.Operations() {
			methods = append(methods, m)
		}
		allow := strings.Split(http.Header(x.ResponseHeader).Get("Allow"), ", ")
		slices.Sort(methods)
		slices.Sort(allow)
		if !slices.Equal(methods, allow) {
			return fmt.Errorf("Allow %v, but the description has %v", allow, methods)
		}
		cov.unrouted["method_not_allowed"] = true
		route.Operation = &openapi3.Operation{Responses: openapi3.NewResponses(openapi3.WithStatus(405, f.notAllowed))}
	}

	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{Request: req, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if described {
		name := x.Method + " " + path
		cov.exercised[name]++
		if key != "" {
			add(cov.produced, name, key)
		}
		if !x.AlwaysHTTP200 {
			add(cov.answered, name, strconv.Itoa(status)+" "+mt)
			if head {
				add(cov.answered, name, strconv.Itoa(status)+" *")
			}
		}
		if !mayRefuse(doc, name, status, keyed, key, x.AlwaysHTTP200) {
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				return fmt.Errorf("the adapter took a request the description refuses: %w", err)
			}
			cov.requests++
			if len(x.Body) > 0 {
				bodyType, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
				if err != nil {
					return err
				}
				add(cov.mediaTypes, name, bodyType)
			}
		}
	}

	// kin-openapi validates nothing of a HEAD response; its status and
	// headers are validated here as a GET's would be (against the HEAD
	// operation), without a body.
	resIn := in
	if head {
		get := *in
		get.Request = req.Clone(ctx)
		get.Request.Method = http.MethodGet
		resIn = &get
	}
	err = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: resIn,
		Status:                 status,
		Header:                 x.ResponseHeader,
		Body:                   io.NopCloser(bytes.NewReader(x.ResponseBody)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: head},
	})
	if err != nil {
		return fmt.Errorf("the response does not match the description: %w", err)
	}
	rr := route.Operation.Responses.Status(status)
	if rr == nil || rr.Value == nil {
		return fmt.Errorf("status %d is not described", status)
	}
	resp := rr.Value
	if err := checkFlowCookie(x, f, hostSetsCookies(resp)); err != nil {
		return err
	}
	if err := checkMediaHeaders(resp, mt, x.ResponseHeader); err != nil {
		return fmt.Errorf("the response does not match the description: %w", err)
	}
	if head {
		if len(x.ResponseBody) > 0 {
			return fmt.Errorf("HEAD answered a body")
		}
		// The answer a GET would have: its media type is one the GET
		// declares for the status (or, unrouted, the one described).
		content := resp.Content
		if item != nil && item.Get != nil && route.Operation == item.Head {
			if r := item.Get.Responses.Status(status); r != nil {
				content = r.Value.Content
			}
		}
		if content.Get(mt) == nil {
			return fmt.Errorf("HEAD answered %s, which the GET does not declare for %d", mt, status)
		}
	}
	if page {
		cov.pages++
	}
	return nil
}

// mounted returns item with only the operations a handler with the
// options set (by name) serves: an operation whose x-acctsec-requires-option
// names an option not set is not served. It returns nil when the options
// leave none of the path's operations (the path is then unknown).
func mounted(item *openapi3.PathItem, options []string) *openapi3.PathItem {
	if item == nil {
		return nil
	}
	out := *item
	removed := false
	for method, op := range item.Operations() {
		requires, _ := op.Extensions["x-acctsec-requires-option"].(string)
		if requires != "" && !slices.Contains(options, requires) {
			out.SetOperation(method, nil)
			removed = true
		}
	}
	if removed && len(out.Operations()) == 0 {
		return nil
	}
	return &out
}

// mayRefuse reports whether the answer on the route name may be a refusal
// of the request's parameters, so that the request need not match the
// description: by its key when the body names one, else by every key the
// route declares for the status (for any error status under AlwaysHTTP200,
// where a page or a HEAD answer is sent as 200 whatever it says). A HEAD
// answer's keys are those of the GET on its path.
func mayRefuse(doc *openapi3.T, name string, status int, keyed bool, key string, always200 bool) bool {
	if keyed {
		return key != "" && refusal(name, key)
	}
	if status < 400 && !always200 {
		return false
	}
	ops := operations(doc)
	keysOf := name
	if m, path, _ := strings.Cut(name, " "); m == http.MethodHead && ops[http.MethodGet+" "+path] != nil {
		keysOf = http.MethodGet + " " + path
	}
	op := ops[keysOf]
	for s, rr := range op.Responses.Map() {
		code, _ := strconv.Atoi(s)
		if code < 400 || (!always200 && code != status) {
			continue
		}
		mt := rr.Value.Content.Get("application/json")
		if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
			continue
		}
		keys, _ := schemaKeys(mt.Schema.Value) // responseKeys reports a malformed one
		for k := range keys {
			if refusal(name, k) {
				return true
			}
		}
	}
	return false
}
