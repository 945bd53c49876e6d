package captcha_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/acctsec/security/captcha"
)

func TestFromRequest(t *testing.T) {
	for _, tt := range []struct {
		name    string
		headers captcha.Headers
		set     map[string][]string
		want    captcha.Ticket
		ok      bool
	}{
		{"default headers", captcha.Headers{}, map[string][]string{"X-Captcha-Ticket": {"tr03t"}, "X-Captcha-Randstr": {"@r"}}, captcha.Ticket{Value: "tr03t", Randstr: "@r"}, true},
		{"ticket only (Aliyun)", captcha.Headers{}, map[string][]string{"X-Captcha-Ticket": {`{"certifyId":"c"}`}}, captcha.Ticket{Value: `{"certifyId":"c"}`}, true},
		{"none", captcha.Headers{}, nil, captcha.Ticket{}, false},
		{"ticket twice", captcha.Headers{}, map[string][]string{"X-Captcha-Ticket": {"a", "b"}}, captcha.Ticket{}, false},
		{"randstr twice", captcha.Headers{}, map[string][]string{"X-Captcha-Ticket": {"a"}, "X-Captcha-Randstr": {"r", "s"}}, captcha.Ticket{}, false},
		{"custom names", captcha.Headers{Ticket: "X-Tc-Ticket", Randstr: "X-Tc-Rand"}, map[string][]string{"X-Tc-Ticket": {"t"}, "X-Tc-Rand": {"r"}}, captcha.Ticket{Value: "t", Randstr: "r"}, true},
		{"custom names, default headers ignored", captcha.Headers{Ticket: "X-Tc-Ticket"}, map[string][]string{"X-Captcha-Ticket": {"t"}}, captcha.Ticket{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got captcha.Ticket
			var ok, called bool
			var seenHeader http.Header
			h := captcha.FromRequest(tt.headers)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				got, ok = captcha.TicketFrom(r.Context())
				seenHeader = r.Header
			}))
			r := httptest.NewRequest(http.MethodGet, "/member/userservice/security?phone=13800138000", nil)
			r.Header.Set("X-Other", "kept")
			for k, vs := range tt.set {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			assert.True(t, called)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
			for k := range tt.set {
				if k == tt.headers.Ticket || k == tt.headers.Randstr || (tt.headers.Ticket == "" && k == captcha.DefaultTicketHeader) || (tt.headers.Randstr == "" && k == captcha.DefaultRandstrHeader) {
					assert.Empty(t, seenHeader.Values(k), "%s left for downstream loggers", k)
					assert.NotEmpty(t, r.Header.Values(k), "the caller's request must not be modified")
				}
			}
			assert.Equal(t, "kept", seenHeader.Get("X-Other"))
		})
	}
}
