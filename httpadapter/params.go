package httpadapter

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxParams is the most parameters a route can take.
const maxParams = 8

// cacheBuster is the one parameter every route accepts and ignores, so that
// legacy clients can defeat caches with "?_=<timestamp>".
const cacheBuster = "_"

// params holds the decoded parameters of one request. Only the names the
// route declares can be set, each at most once; "_" and the names in ignore
// (Options.IgnoreParams) are accepted and dropped.
type params struct {
	names  []string
	ignore []string
	vals   [maxParams]string
	has    [maxParams]bool
}

// get returns the value of name, or "" when it was not given.
func (p *params) get(name string) string {
	for i, n := range p.names {
		if n == name {
			return p.vals[i]
		}
	}
	return ""
}

// given reports whether name was given with a non-empty value.
func (p *params) given(name string) bool { return p.get(name) != "" }

// set records one parameter: unknown names and repeats are refused. A name
// the route takes is read even when it is also in p.ignore.
func (p *params) set(name, value string) error {
	if name == cacheBuster {
		return nil
	}
	for i, n := range p.names {
		if n == name {
			if p.has[i] {
				return &argError{kind: argDuplicate}
			}
			if !utf8.ValidString(value) {
				return &argError{kind: argMalformed}
			}
			p.vals[i], p.has[i] = value, true
			return nil
		}
	}
	for _, n := range p.ignore {
		if n == name {
			return nil
		}
	}
	return &argError{kind: argUnknown, name: name}
}

// argKind says what was wrong with the parameters.
type argKind uint8

const (
	argMalformed   argKind = iota // bad encoding, bad JSON, invalid UTF-8
	argUnknown                    // a parameter the route does not take
	argDuplicate                  // a parameter given twice
	argMissing                    // a required parameter absent or empty
	argMismatch                   // a confirmation differs from the first value
	argContentType                // a body of an unsupported media type
)

// argError is a 400 invalid_argument. For argMissing and argMismatch name
// is one of the route's own parameter names. For argUnknown it is the name
// the request gave, which msg repeats only when it is short and plain (see
// shownName); Error never shows it, so it is never logged.
type argError struct {
	kind argKind
	name string
}

func (e *argError) Error() string { return "httpadapter: invalid parameters" }

// errBodyTooLarge reports a body (or query string) over the cap: 413.
var errBodyTooLarge = errors.New("httpadapter: request body too large")

// capReader reads at most n bytes of r, plus one to learn that there is more;
// reading past n sets over and returns errBodyTooLarge.
type capReader struct {
	r    io.Reader
	n    int64 // bytes still allowed
	over bool
}

func (c *capReader) Read(b []byte) (int, error) {
	if c.over {
		return 0, errBodyTooLarge
	}
	if int64(len(b)) > c.n+1 {
		b = b[:c.n+1]
	}
	k, err := c.r.Read(b)
	if int64(k) > c.n {
		c.over = true
		c.n = 0
		return 0, errBodyTooLarge
	}
	c.n -= int64(k)
	return k, err
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// readAll reads all of c into a pooled buffer; release it with putBuf.
func readAll(c *capReader) (*[]byte, error) {
	bp := bufPool.Get().(*[]byte)
	b := (*bp)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		k, err := c.Read(b[len(b):cap(b)])
		b = b[:len(b)+k]
		if err == io.EOF {
			*bp = b
			return bp, nil
		}
		if err != nil {
			*bp = b
			putBuf(bp)
			return nil, err
		}
	}
}

func putBuf(bp *[]byte) {
	if cap(*bp) > 64<<10 {
		return
	}
	*bp = (*bp)[:0]
	bufPool.Put(bp)
}

// decodeParams fills p from the raw query string and the body. The body is
// read only through a cap of max bytes (one more to detect overflow); a
// declared Content-Length over max is refused without reading. It returns
// nil, errBodyTooLarge or an *argError.
func decodeParams(p *params, rawQuery, contentType string, contentLength int64, body io.Reader, max int64) error {
	if int64(len(rawQuery)) > max {
		return errBodyTooLarge
	}
	if err := parseURLEncoded(p, rawQuery); err != nil {
		return err
	}
	if contentLength > max {
		return errBodyTooLarge
	}
	if body == nil || contentLength == 0 {
		return nil
	}
	c := &capReader{r: body, n: max}
	err := decodeBody(p, contentType, c)
	if c.over {
		return errBodyTooLarge
	}
	return err
}

func decodeBody(p *params, contentType string, c *capReader) error {
	if contentType == "" {
		// No media type: only an empty body is acceptable.
		var one [1]byte
		for {
			k, err := c.Read(one[:])
			if k > 0 {
				return &argError{kind: argContentType}
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	mt, mtParams, err := mime.ParseMediaType(contentType)
	if err != nil {
		return &argError{kind: argContentType}
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		bp, err := readAll(c)
		if err != nil {
			return bodyErr(err)
		}
		s := string(*bp)
		putBuf(bp)
		return parseURLEncoded(p, s)
	case "application/json":
		bp, err := readAll(c)
		if err != nil {
			return bodyErr(err)
		}
		err = parseJSONObject(p, *bp)
		putBuf(bp)
		return err
	case "multipart/form-data":
		boundary := mtParams["boundary"]
		if boundary == "" {
			return &argError{kind: argContentType}
		}
		return parseMultipart(p, multipart.NewReader(c, boundary))
	}
	return &argError{kind: argContentType}
}

// bodyErr keeps errBodyTooLarge and turns any other read failure into a
// malformed request.
func bodyErr(err error) error {
	if errors.Is(err, errBodyTooLarge) {
		return err
	}
	return &argError{kind: argMalformed}
}

// parseURLEncoded parses a query string or form body. Empty pairs are
// skipped; a name without "=" has the value "". Semicolons are not
// separators (as in net/url since Go 1.17) and make the pair malformed.
func parseURLEncoded(p *params, s string) error {
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		if strings.IndexByte(pair, ';') >= 0 {
			return &argError{kind: argMalformed}
		}
		k, v, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			return &argError{kind: argMalformed}
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return &argError{kind: argMalformed}
		}
		if err := p.set(name, value); err != nil {
			return err
		}
	}
	return nil
}

// parseMultipart reads form fields; a file part is refused.
func parseMultipart(p *params, mr *multipart.Reader) error {
	var buf bytes.Buffer
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return bodyErr(err)
		}
		name := part.FormName()
		if name == "" || part.FileName() != "" {
			return &argError{kind: argMalformed}
		}
		if enc := part.Header.Get("Content-Transfer-Encoding"); enc != "" && !strings.EqualFold(enc, "binary") &&
			!strings.EqualFold(enc, "8bit") && !strings.EqualFold(enc, "7bit") {
			return &argError{kind: argMalformed}
		}
		buf.Reset()
		if _, err := buf.ReadFrom(part); err != nil {
			return bodyErr(err)
		}
		if err := p.set(name, buf.String()); err != nil {
			return err
		}
	}
}
