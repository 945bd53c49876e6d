package demotest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Form builds url.Values from key, value pairs (a trailing key without a
// value is dropped).
func Form(kv ...string) url.Values {
	f := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// NewRequest builds a call of the examples' API: form goes in the query of
// a GET and in a form body otherwise, and user, when not "", is the
// signed-in member (the X-User-ID header demo.MemberID reads).
func NewRequest(method, target, user string, form url.Values) (*http.Request, error) {
	var body io.Reader
	if method == http.MethodGet {
		if len(form) > 0 {
			target += "?" + form.Encode()
		}
	} else {
		body = strings.NewReader(form.Encode())
	}
	r, err := http.NewRequest(method, target, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		r.Header.Set("X-User-ID", user)
	}
	return r, nil
}
