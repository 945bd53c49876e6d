package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
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
// const of each schema the data field of an error response may be.
func declaredKeys(t *testing.T, name string, op *openapi3.Operation) map[string]int {
	t.Helper()
	keys := map[string]int{}
	for status, rr := range op.Responses.Map() {
		code, err := strconv.Atoi(status)
		if err != nil {
			t.Fatalf("%s: response %q: only numeric statuses are described", name, status)
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
	data := mt.Schema.Value.Properties["data"]
	if data == nil || data.Value == nil {
		t.Fatalf("%s: the schema does not constrain data", where)
	}
	alts := data.Value.OneOf
	if len(alts) == 0 {
		alts = openapi3.SchemaRefs{data}
	}
	keys := map[string]bool{}
	for _, alt := range alts {
		key, ok := alt.Value.Const.(string)
		if !ok || key == "" {
			t.Fatalf("%s: data must be one of the ErrorKey constants", where)
		}
		keys[key] = true
	}
	return keys
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

// coverage accumulates what the recorded exchanges exercised.
type coverage struct {
	exercised  map[string]int             // by "METHOD path"
	produced   map[string]map[string]bool // error keys by "METHOD path"
	mediaTypes map[string]map[string]bool // accepted request bodies by "METHOD path"
	unrouted   map[string]bool            // not_found, method_not_allowed
	requests   int                        // requests validated
}

func add(m map[string]map[string]bool, k, v string) {
	if m[k] == nil {
		m[k] = map[string]bool{}
	}
	m[k][v] = true
}

// TestAdapterConformsToDescription runs httpadapter's tests, recording
// every exchange, and validates each against the description; then checks
// that the tests exercised every described operation, body encoding and
// error key, and that the description covers every route served.
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
	t.Logf("%d responses and %d requests validated", len(rec.xs), cov.requests)

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
	}
	for name := range unreachable {
		if ops[name] == nil {
			t.Errorf("unreachable names %s, which is not described", name)
		}
	}
	for _, key := range []string{"not_found", "method_not_allowed"} {
		if !cov.unrouted[key] {
			t.Errorf("no test produced %s", key)
		}
	}
}

// validateAll validates every exchange against doc and returns the
// coverage and the failures.
func validateAll(t *testing.T, doc *openapi3.T, xs []exchange) (coverage, []error) {
	notFound, notAllowed := unrouted(t, doc, "unknownPath"), unrouted(t, doc, "unknownMethod")
	cov := coverage{exercised: map[string]int{}, produced: map[string]map[string]bool{},
		mediaTypes: map[string]map[string]bool{}, unrouted: map[string]bool{}}
	var failures []error
	for _, x := range xs {
		if err := check(doc, x, &cov, notFound, notAllowed); err != nil {
			failures = append(failures, fmt.Errorf("%s: %s %s -> %d %s\n%w", x.Test, x.Method, x.Target, x.Status, x.ResponseBody, err))
		}
	}
	return cov, failures
}

// check validates one exchange and records its coverage.
func check(doc *openapi3.T, x exchange, cov *coverage, notFound, notAllowed *openapi3.ResponseRef) error {
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
	if x.FlowCookieName != "acctsec_flow" {
		return fmt.Errorf("the description names the default flow cookie only; got %q", x.FlowCookieName)
	}

	head := x.Method == http.MethodHead
	var env envelope
	mt, _, _ := mime.ParseMediaType(http.Header(x.ResponseHeader).Get("Content-Type"))
	if !head && mt == "application/json" {
		if err := json.Unmarshal(x.ResponseBody, &env); err != nil {
			return fmt.Errorf("response is not an envelope: %v", err)
		}
	}
	status := x.Status
	if x.AlwaysHTTP200 && !head {
		if status != http.StatusOK {
			return fmt.Errorf("AlwaysHTTP200 answered HTTP %d", status)
		}
		if status, err = strconv.Atoi(env.Code); err != nil {
			return fmt.Errorf("code %q", env.Code)
		}
	}
	key := ""
	if status >= 400 {
		key = env.key()
	}

	req, err := http.NewRequest(x.Method, "http://"+x.Host+path+"?"+u.RawQuery, bytes.NewReader(x.Body))
	if err != nil {
		return err
	}
	req.Header = x.Header
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.ContentLength = int64(len(x.Body))

	var item *openapi3.PathItem
	if routed {
		item = doc.Paths.Value(path)
	}
	route := &routers.Route{Spec: doc, Path: path, PathItem: item, Method: x.Method}
	if item != nil {
		route.Operation = item.GetOperation(x.Method)
	}
	switch {
	case item == nil:
		if status != http.StatusNotFound || (!head && key != "not_found") {
			return fmt.Errorf("an undescribed path answered %d %s", status, key)
		}
		cov.unrouted["not_found"] = true
		route.Operation = &openapi3.Operation{Responses: openapi3.NewResponses(openapi3.WithStatus(404, notFound))}
	case route.Operation == nil:
		if status != http.StatusMethodNotAllowed || (!head && key != "method_not_allowed") {
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
		route.Operation = &openapi3.Operation{Responses: openapi3.NewResponses(openapi3.WithStatus(405, notAllowed))}
	}

	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{Request: req, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if item != nil && route.Operation != nil {
		name := x.Method + " " + path
		cov.exercised[name]++
		if key != "" {
			add(cov.produced, name, key)
		}
		member := strings.HasPrefix(path, "/member/")
		if !refusedBeforeParameters[key] && !(member && key == "unauthenticated") {
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
	err = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 x.ResponseHeader,
		Body:                   io.NopCloser(bytes.NewReader(x.ResponseBody)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: head},
	})
	if err != nil {
		return fmt.Errorf("the response does not match the description: %w", err)
	}
	return nil
}
