package httpadapter_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
)

// TestMountedForgotFlow walks the forgot-password flow with a real cookie
// jar under /api, mounted both ways (PathPrefix on a ServeMux, and
// http.StripPrefix), with Secure cookies over TLS and InsecureCookies over
// plain HTTP. Only the jar carries the flow: with a cookie Path that
// missed the stripped prefix, the browser would never send it back.
func TestMountedForgotFlow(t *testing.T) {
	t.Parallel()
	mounts := []struct {
		name  string
		mount func(h *httpadapter.Handler) http.Handler
		opts  httpadapter.Options
	}{
		{"PathPrefix", func(h *httpadapter.Handler) http.Handler {
			mux := http.NewServeMux()
			mux.Handle("/api/", h)
			return mux
		}, httpadapter.Options{PathPrefix: "/api"}},
		{"StripPrefix", func(h *httpadapter.Handler) http.Handler {
			mux := http.NewServeMux()
			mux.Handle("/api/", http.StripPrefix("/api", h))
			return mux
		}, httpadapter.Options{}},
	}
	for _, m := range mounts {
		for _, secure := range []bool{true, false} {
			name := m.name + "/secure"
			if !secure {
				name = m.name + "/insecure"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				opts := m.opts
				opts.InsecureCookies = !secure
				hs := newHarness(t, harnessConfig{opts: opts})
				hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Phone: alicePhone})
				var srv *httptest.Server
				if secure {
					srv = httptest.NewTLSServer(m.mount(hs.ad))
				} else {
					srv = httptest.NewServer(m.mount(hs.ad))
				}
				t.Cleanup(srv.Close)
				jar, err := cookiejar.New(nil)
				require.NoError(t, err)
				client := srv.Client()
				client.Jar = jar
				flowURL, err := url.Parse(srv.URL + "/api" + pForgot)
				require.NoError(t, err)
				send := func(method string, form url.Values, want string) *http.Response {
					t.Helper()
					target := flowURL.String()
					var body *strings.Reader
					if method == http.MethodGet {
						target += "?" + form.Encode()
						body = strings.NewReader("")
					} else {
						body = strings.NewReader(form.Encode())
					}
					req, err := http.NewRequest(method, target, body)
					require.NoError(t, err)
					if method != http.MethodGet {
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					}
					resp, err := client.Do(req)
					require.NoError(t, err)
					defer resp.Body.Close()
					var env envelope
					require.NoError(t, jsonDecode(resp.Body, &env))
					require.Equal(t, want, env.Code, "%s: %s", method, env.Data)
					return resp
				}

				send(http.MethodGet, url.Values{"phone": {alicePhone}}, "200")
				sent := jar.Cookies(flowURL)
				require.Len(t, sent, 1, "the browser sends the flow cookie back under the mount")
				wantName := "__Host-acctsec_flow"
				if !secure {
					wantName = "acctsec_flow"
				}
				assert.Equal(t, wantName, sent[0].Name)
				code := hs.nextCode(security.PurposeForgotPassword).msg.Code
				send(http.MethodPost, url.Values{"message": {code}}, "201")
				rotated := jar.Cookies(flowURL)
				require.Len(t, rotated, 1)
				assert.NotEqual(t, sent[0].Value, rotated[0].Value, "step 1 replaced the handle in the jar")
				send(http.MethodPut, url.Values{"phone": {alicePhone}, "passwordFirst": {newPass}}, "201")
				require.NoError(t, hs.svc.VerifyPassword(context.Background(), alice, newPass))
				assert.Empty(t, jar.Cookies(flowURL), "step 2 cleared the cookie")
			})
		}
	}
}
