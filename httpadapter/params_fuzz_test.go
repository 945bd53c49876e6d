package httpadapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// countingReader counts the bytes handed out.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(b []byte) (int, error) {
	k, err := c.r.Read(b)
	c.n += k
	return k, err
}

var fuzzContentTypes = []string{
	"",
	"application/x-www-form-urlencoded",
	"application/json",
	"multipart/form-data; boundary=B",
	"text/plain",
}

// FuzzDecodeParams: decoding never panics, never reads more than the cap
// plus one byte, fails only with the two adapter errors, sets only declared
// names with valid UTF-8, never calls an ignored or declared name unknown
// (a declared name that is also ignored is still read), and accepts only
// JSON that encoding/json reads to the same values.
func FuzzDecodeParams(f *testing.F) {
	f.Add("phone=13800138000", uint8(0), []byte(""))
	f.Add("", uint8(1), []byte("phone=13800138000&message=123456"))
	f.Add("_=1", uint8(2), []byte(`{"phone":"13800138000","message":123456}`))
	f.Add("", uint8(2), []byte(`{"ph\u006fne":"\ud83d\ude00","email":"a\"b"}`))
	f.Add("", uint8(2), []byte(`{"phone":{"x":1}}`))
	f.Add("", uint8(2), []byte(`{"phone":"1","phone":"2"}`))
	f.Add("", uint8(2), []byte(`{"message":-0.5e+3}`))
	f.Add("", uint8(3), []byte("--B\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.c\r\n--B--\r\n"))
	f.Add("", uint8(3), []byte("--B\r\nContent-Disposition: form-data; name=\"email\"; filename=\"x\"\r\n\r\nx\r\n--B--\r\n"))
	f.Add("phone=%zz", uint8(0), []byte(""))
	f.Add("a;b", uint8(4), []byte("x"))
	f.Add("sign=1&sign=2&timestamp=3", uint8(2), []byte(`{"sign":"x","phone":"1"}`))
	f.Add("", uint8(1), bytes.Repeat([]byte("a"), 300))
	const max = 256
	names := []string{"phone", "message", "email"}
	ignore := []string{"sign", "phone"}
	f.Fuzz(func(t *testing.T, query string, ct uint8, body []byte) {
		var p params
		p.names = names
		p.ignore = ignore
		cr := &countingReader{r: bytes.NewReader(body)}
		ctype := fuzzContentTypes[int(ct)%len(fuzzContentTypes)]
		err := decodeParams(&p, query, ctype, -1, cr, max)
		if cr.n > max+1 {
			t.Fatalf("read %d bytes with a cap of %d", cr.n, max)
		}
		var ae *argError
		if err != nil {
			if !errors.Is(err, errBodyTooLarge) && !errors.As(err, &ae) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			if len(body) <= max && len(query) <= max && errors.Is(err, errBodyTooLarge) {
				t.Fatalf("413 for a request within the cap")
			}
			if ae != nil && ae.kind == argUnknown {
				for _, n := range append(append([]string{cacheBuster}, names...), ignore...) {
					if ae.name == n {
						t.Fatalf("%q called unknown", n)
					}
				}
			}
			return
		}
		if len(body) > max+1 && ctype != "" && ctype != "text/plain" && ctype != fuzzContentTypes[3] {
			t.Fatalf("a body over the cap was accepted")
		}
		for i, n := range p.names {
			if !p.has[i] && p.vals[i] != "" {
				t.Fatalf("value without has for %s", n)
			}
			if !utf8.ValidString(p.vals[i]) {
				t.Fatalf("invalid UTF-8 accepted for %s", n)
			}
		}
		if ctype == "application/json" && query == "" {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatalf("accepted JSON encoding/json refuses: %v", err)
			}
			for i, n := range p.names {
				raw, ok := m[n]
				if ok != p.has[i] {
					t.Fatalf("%s presence differs", n)
				}
				if !ok {
					continue
				}
				var want string
				if strings.HasPrefix(string(raw), `"`) {
					if err := json.Unmarshal(raw, &want); err != nil {
						t.Fatal(err)
					}
				} else {
					want = string(raw)
				}
				if want != p.vals[i] {
					t.Fatalf("%s = %q, encoding/json says %q", n, p.vals[i], want)
				}
			}
		}
	})
}
