package httpadapter

import (
	"errors"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// successData is the data of every success but the status route.
var successData = []byte(`"success"`)

// write sends the envelope {"code":code,"msg":msg,"data":data}; data is raw
// JSON. The HTTP status is code unless AlwaysHTTP200.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, code, msg string, data []byte) {
	bp := bufPool.Get().(*[]byte)
	b := append((*bp)[:0], `{"code":"`...)
	b = append(b, code...)
	b = append(b, `","msg":`...)
	b = appendJSONString(b, msg)
	b = append(b, `,"data":`...)
	b = append(b, data...)
	b = append(b, '}')
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	status := http.StatusOK
	if !h.always200 {
		if n, err := strconv.Atoi(code); err == nil && n >= 100 && n <= 599 {
			status = n
		}
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(b) //nolint:errcheck // the client is gone; nothing to do
	}
	*bp = b
	putBuf(bp)
}

// fail writes the error envelope for err and logs the outcome.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, l lang, route string, err error) {
	o := classify(err, l)
	if o.retryAfter > 0 {
		secs := (o.retryAfter + time.Second - 1) / time.Second
		w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}
	if o.key == "body_too_large" {
		// The rest of the body is not worth reading.
		w.Header().Set("Connection", "close")
	}
	bp := bufPool.Get().(*[]byte)
	data := appendJSONString((*bp)[:0], o.key)
	h.write(w, r, o.code, o.msg, data)
	*bp = data
	putBuf(bp)
	h.logResult(r, route, o.code, o.key, err)
}

// WriteError writes the envelope for err as the adapter's own routes do,
// for host routes that want the same answers: the error table of the
// package documentation decides code and data, msg follows the request's
// Accept-Language, and the text of an unexpected error is never shown.
// It also logs the outcome like the adapter's routes.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if err == nil {
		err = errInternal
	}
	h.fail(w, r, langOf(h.localeOf(r)), "host", err)
}

// WriteSuccess writes a success envelope: code ("200", "201"), "msg" and
// "data" both "success".
func (h *Handler) WriteSuccess(w http.ResponseWriter, r *http.Request, code string) {
	h.write(w, r, code, "success", successData)
	h.logResult(r, "host", code, "success", nil)
}

// Params decodes the parameters of r the way the adapter's routes do (query
// string, form, multipart form or JSON object; body capped at
// MaxBodyBytes; "_" and Options.IgnoreParams ignored) for a host route
// taking only names (at most 8). Absent parameters are missing from the map. An unknown or repeated
// parameter, a malformed body or one too large returns an error that
// WriteError answers with "400" or "413".
func (h *Handler) Params(r *http.Request, names ...string) (map[string]string, error) {
	if len(names) > maxParams {
		return nil, errors.New("httpadapter: Params takes at most 8 names")
	}
	var p params
	p.names = names
	if err := h.decode(r, &p); err != nil {
		return nil, err
	}
	m := make(map[string]string, len(names))
	for i, n := range names {
		if p.has[i] {
			m[n] = p.vals[i]
		}
	}
	return m, nil
}

// MissingParam returns the error WriteError answers with "400"
// invalid_argument naming the missing parameter name.
func MissingParam(name string) error { return &argError{kind: argMissing, name: name} }

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaping quotes, backslashes,
// control characters, <, >, &, U+2028 and U+2029, and replacing invalid
// UTF-8 with U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
