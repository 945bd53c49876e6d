package openapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"slices"
)

// withoutIgnored returns the query string and body of x without the
// parameters its handler ignores (Options.IgnoreParams), which the
// description cannot name, in the body's own encoding. Without
// IgnoreParams both are returned untouched; so are both when they do not
// parse (the adapter refuses them, and the description can say so).
func withoutIgnored(x exchange, rawQuery, contentType string) (string, []byte) {
	if len(x.IgnoreParams) == 0 {
		return rawQuery, x.Body
	}
	query, body, err := dropIgnored(x, rawQuery, contentType)
	if err != nil {
		return rawQuery, x.Body
	}
	return query, body
}

func dropIgnored(x exchange, rawQuery, contentType string) (string, []byte, error) {
	ignored := func(name string) bool { return slices.Contains(x.IgnoreParams, name) }
	dropFrom := func(raw string) (string, error) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return "", err
		}
		for name := range v {
			if ignored(name) {
				delete(v, name)
			}
		}
		return v.Encode(), nil
	}
	query, err := dropFrom(rawQuery)
	if err != nil || len(x.Body) == 0 {
		return query, x.Body, err
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", nil, err
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		body, err := dropFrom(string(x.Body))
		return query, []byte(body), err
	case "application/json":
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(x.Body, &obj); err != nil {
			return "", nil, err
		}
		for name := range obj {
			if ignored(name) {
				delete(obj, name)
			}
		}
		body, err := json.Marshal(obj)
		return query, body, err
	case "multipart/form-data":
		var out bytes.Buffer
		mw := multipart.NewWriter(&out)
		if err := mw.SetBoundary(params["boundary"]); err != nil {
			return "", nil, err
		}
		mr := multipart.NewReader(bytes.NewReader(x.Body), params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return "", nil, err
			}
			if ignored(part.FormName()) {
				continue
			}
			w, err := mw.CreatePart(part.Header)
			if err == nil {
				_, err = io.Copy(w, part)
			}
			if err != nil {
				return "", nil, err
			}
		}
		if err := mw.Close(); err != nil {
			return "", nil, err
		}
		return query, out.Bytes(), nil
	}
	return "", nil, fmt.Errorf("ignored parameters in a %s body", mt)
}
