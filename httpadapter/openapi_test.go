package httpadapter_test

import (
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
)

// TestOpenAPIIsACopy: the description is JSON of OpenAPI 3.1, and callers
// cannot change the embedded one.
func TestOpenAPIIsACopy(t *testing.T) {
	t.Parallel()
	a := httpadapter.OpenAPI()
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	require.NoError(t, json.Unmarshal(a, &doc))
	assert.Equal(t, "3.1.0", doc.OpenAPI)
	clear(a)
	assert.True(t, json.Valid(httpadapter.OpenAPI()), "the embedded description is intact")
}

// validRequests are requests each route accepts as far as the adapter is
// concerned (the Service may still refuse them), by "METHOD path" as
// httpadapter.ServedRoutes names them. flow requests carry a flow handle.
var validRequests = map[string]struct {
	params kv
	flow   bool
}{
	"GET " + pMember:      {params: kv{{"phone", alicePhone}}},
	"PUT " + pMember:      {params: kv{{"oldPassword", alicePass}, {"newPasswordFirst", newPass}}},
	"PUT " + pBind:        {params: kv{{"message", "123456"}, {"phone", alicePhone}}},
	"PUT " + pPay:         {params: kv{{"payPasswordFirst", pin1}}},
	"PUT " + pResetPay:    {params: kv{{"phone", alicePhone}, {"message", "123456"}, {"payPasswordFirst", pin2}}},
	"PUT " + pUpdatePay:   {params: kv{{"oldPassword", pin1}, {"payPasswordFirst", pin2}}},
	"GET " + pStatus:      {},
	"GET " + pForgot:      {params: kv{{"phone", alicePhone}}},
	"POST " + pForgot:     {params: kv{{"message", "123456"}}, flow: true},
	"PUT " + pForgot:      {params: kv{{"phone", alicePhone}, {"passwordFirst", newPass}}, flow: true},
	"POST " + pSendMail:   {params: kv{{"email", aliceEmail}}},
	"GET " + pVerifyMail:  {params: kv{{"token", strings.Repeat("A", 43)}}},
	"POST " + pVerifyMail: {params: kv{{"email", aliceEmail}, {"message", "123456"}}},
	"PUT " + pSetPassword: {params: kv{{"phone", alicePhone}, {"message", "123456"}, {"passwordFirst", newPass}}},
	"GET " + pLoginCode:   {params: kv{{"phone", alicePhone}}},
	"POST " + pLoginCode:  {params: kv{{"phone", alicePhone}, {"message", "123456"}}},
}

// brokenStore fails the first store call of every route.
type brokenStore struct{ *memstore.Store }

var errBroken = errors.New(storeSecretText)

func (brokenStore) GetAccount(context.Context, string) (*security.Account, error) {
	return nil, errBroken
}
func (brokenStore) AccountByPhone(context.Context, string) (*security.Account, error) {
	return nil, errBroken
}
func (brokenStore) AccountByEmail(context.Context, string) (*security.Account, error) {
	return nil, errBroken
}
func (brokenStore) GetTicket(context.Context, string, time.Time) (*security.Ticket, error) {
	return nil, errBroken
}
func (brokenStore) Count(context.Context, time.Time, []security.Hit) ([]security.Tally, error) {
	return nil, errBroken
}
func (brokenStore) TakeTicket(context.Context, string, time.Time, bool) (*security.Ticket, error) {
	return nil, errBroken
}
func (brokenStore) PutCode(context.Context, time.Time, security.Code, []security.Hit) (bool, []security.Tally, error) {
	return false, nil, errBroken
}

// TestEveryRouteRefusals drives, on every route the adapter serves, the
// answers every route (or every member or state-changing route) gives, in
// each encoding where the parameters matter: an unknown parameter, an
// oversized body or query string, a cross-site browser request, a
// cancelled request, a failing store, and a signed-in user without a
// security record. The OpenAPI description declares these keys on every
// route; the conformance test checks each was produced.
func TestEveryRouteRefusals(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("a", 17<<10)
	for _, route := range httpadapter.ServedRoutes() {
		t.Run(route, func(t *testing.T) {
			t.Parallel()
			method, path, _ := strings.Cut(route, " ")
			if method == http.MethodHead {
				t.Skip("HEAD answers like GET without a body; TestVerifyMailGetChangesNothing covers it")
			}
			valid, ok := validRequests[route]
			require.True(t, ok, "add a valid request for %s to validRequests", route)
			member := strings.HasPrefix(path, "/member/")
			safe := route == "GET "+pStatus || route == "GET "+pVerifyMail
			encs := encodings
			if method == http.MethodGet {
				encs = []encoding{encQuery}
			}
			build := func(hs *harness, enc encoding, params kv, user string) *http.Request {
				r := request(t, method, path, enc, params)
				if route == "GET "+pVerifyMail {
					r.Header.Set("Accept", "application/json") // an API client: the envelope, not the page
				}
				if user != "" {
					r.Header.Set("X-User-ID", user)
				}
				if valid.flow {
					r.Header.Set("X-Security-Flow", strings.Repeat("A", 43))
				}
				return r
			}

			hs := newHarness(t, harnessConfig{})
			hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass})
			for _, enc := range encs {
				unknown := append(kv{{"userId", bob}}, valid.params...)
				expect(t, hs.serve(build(hs, enc, unknown, alice)), "400", "invalid_argument")
				if method != http.MethodGet {
					oversized := append(kv{{"_", big}}, valid.params...)
					expect(t, hs.serve(build(hs, enc, oversized, alice)), "413", "body_too_large")
				}
			}
			r := build(hs, encQuery, nil, alice)
			r.URL.RawQuery = "_=" + big
			expect(t, hs.serve(r), "413", "body_too_large")

			r = build(hs, encForm, valid.params, alice)
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			if res := hs.serve(r); safe {
				assert.NotEqual(t, "cross_origin", res.env.dataKey(), "a safe route skips the cross-origin check")
			} else {
				expect(t, res, "403", "cross_origin")
			}

			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			expect(t, hs.serve(build(hs, encForm, valid.params, alice).WithContext(ctx)), "503", "unavailable")

			if member || route == "POST "+pSendMail {
				res := hs.serve(build(hs, encForm, valid.params, "ghost"))
				// Also on the change-password route, which loads the
				// account first (to answer password_not_set): a signed-in
				// user without a record is the host's bug, and the host
				// vouched for the user, so telling it is no oracle.
				expect(t, res, "403", "no_account")
			}

			assert.Empty(t, hs.logins.called(), "no refusal signs anyone in")

			broken := newHarness(t, harnessConfig{store: func(s *memstore.Store) security.Store { return brokenStore{s} }})
			res := broken.serve(build(broken, encForm, valid.params, alice))
			if route == "GET "+pVerifyMail {
				// The link's GET reads nothing (a scanner's visit costs
				// nothing and learns nothing), so a broken store is unseen.
				expect(t, res, "200", "success")
				return
			}
			expect(t, res, "500", "internal")
			assert.Equal(t, "Internal error.", res.env.Msg)
			assert.Empty(t, broken.logins.called(), "a failing store signs nobody in")
			assert.NotContains(t, res.Body.String(), "10.1.2.3")
		})
	}
}

// TestHandlersAreRecorded: every handler a test builds goes through record,
// so the OpenAPI conformance test sees every exchange. Benchmarks measure
// the bare handler and never run under -run.
func TestHandlersAreRecorded(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*_test.go")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	fset := token.NewFileSet()
	for _, name := range files {
		if name == "bench_test.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		internal := f.Name.Name == "httpadapter"
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			stack = append(stack, n)
			call, ok := n.(*ast.CallExpr)
			if !ok || !isNewHandler(call.Fun, internal) {
				return true
			}
			var parent *ast.CallExpr
			if len(stack) >= 2 {
				parent, _ = stack[len(stack)-2].(*ast.CallExpr)
			}
			wrapped := parent != nil && len(parent.Args) >= 2 && parent.Args[1] == call
			if wrapped {
				id, _ := parent.Fun.(*ast.Ident)
				wrapped = id != nil && id.Name == "record"
			}
			assert.True(t, wrapped, "%s: wrap the handler in record(t, httpadapter.New(...), opts)", fset.Position(call.Pos()))
			return true
		})
	}
}

func isNewHandler(fun ast.Expr, internal bool) bool {
	switch f := fun.(type) {
	case *ast.SelectorExpr:
		pkg, ok := f.X.(*ast.Ident)
		return ok && pkg.Name == "httpadapter" && f.Sel.Name == "New"
	case *ast.Ident:
		return internal && f.Name == "New"
	}
	return false
}
