package cloudsigntest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// VerifyACS3 rebuilds the canonical request from what was received and
// checks its ACS3-HMAC-SHA256 signature, following Aliyun's V3 document:
// the key ID, x-acs-content-sha256 against body, the required signed
// headers (host and every x-acs-* header sent), then the signature.
func VerifyACS3(r *http.Request, body []byte, keyID, secret string) error {
	f, err := authFields(r.Header.Get("Authorization"), "ACS3-HMAC-SHA256", ",")
	if err != nil {
		return err
	}
	if f["Credential"] != keyID {
		return errors.New("unknown AccessKeyId")
	}
	if got := r.Header.Get("x-acs-content-sha256"); got != hexSHA(body) {
		return errors.New("x-acs-content-sha256 does not match the body")
	}
	signed := strings.Split(f["SignedHeaders"], ";")
	if !sort.StringsAreSorted(signed) {
		return errors.New("SignedHeaders not sorted")
	}
	for _, must := range []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"} {
		if !slices.Contains(signed, must) {
			return fmt.Errorf("%s not signed", must)
		}
	}
	for name := range r.Header {
		if l := strings.ToLower(name); (strings.HasPrefix(l, "x-acs-") || l == "content-type") && !slices.Contains(signed, l) {
			return fmt.Errorf("%s sent but not signed", l)
		}
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		for _, v := range q[k] {
			pairs = append(pairs, rfc3986(k)+"="+rfc3986(v))
		}
	}
	var ch strings.Builder
	for _, h := range signed {
		ch.WriteString(h + ":" + headerValue(r, h) + "\n")
	}
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	canonical := strings.Join([]string{r.Method, path, strings.Join(pairs, "&"), ch.String(), f["SignedHeaders"], hexSHA(body)}, "\n")
	want := hex.EncodeToString(mac([]byte(secret), "ACS3-HMAC-SHA256\n"+hexSHA([]byte(canonical))))
	if !hmac.Equal([]byte(want), []byte(f["Signature"])) {
		return errors.New("signature does not match")
	}
	return nil
}

// VerifyTC3 rebuilds the canonical request from what was received and
// checks its TC3-HMAC-SHA256 signature, following Tencent Cloud's
// document: the credential scope (secretID, the UTC date of
// X-TC-Timestamp, service), content-type and host signed, then the
// signature.
func VerifyTC3(r *http.Request, body []byte, secretID, secretKey, service string) error {
	f, err := authFields(r.Header.Get("Authorization"), "TC3-HMAC-SHA256", ", ")
	if err != nil {
		return err
	}
	cred := strings.Split(f["Credential"], "/")
	if len(cred) != 4 || cred[0] != secretID || cred[2] != service || cred[3] != "tc3_request" {
		return errors.New("bad Credential")
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return errors.New("bad X-TC-Timestamp")
	}
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	if cred[1] != date {
		return errors.New("credential date is not the UTC date of the timestamp")
	}
	signed := strings.Split(f["SignedHeaders"], ";")
	if !slices.Contains(signed, "content-type") || !slices.Contains(signed, "host") {
		return errors.New("content-type and host must be signed")
	}
	var ch strings.Builder
	for _, h := range signed {
		ch.WriteString(h + ":" + strings.ToLower(headerValue(r, h)) + "\n")
	}
	canonical := strings.Join([]string{r.Method, "/", r.URL.RawQuery, ch.String(), f["SignedHeaders"], hexSHA(body)}, "\n")
	sts := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + date + "/" + service + "/tc3_request\n" + hexSHA([]byte(canonical))
	k := mac([]byte("TC3"+secretKey), date)
	k = mac(k, service)
	k = mac(k, "tc3_request")
	want := hex.EncodeToString(mac(k, sts))
	if !hmac.Equal([]byte(want), []byte(f["Signature"])) {
		return errors.New("signature does not match")
	}
	return nil
}

// authFields parses "Algo k=v<sep>k=v..." into its fields.
func authFields(header, algo, sep string) (map[string]string, error) {
	rest, ok := strings.CutPrefix(header, algo+" ")
	if !ok {
		return nil, fmt.Errorf("algorithm is not %s", algo)
	}
	out := map[string]string{}
	for part := range strings.SplitSeq(rest, sep) {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("malformed part %q", part)
		}
		out[k] = v
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if out[k] == "" {
			return nil, fmt.Errorf("missing %s", k)
		}
	}
	return out, nil
}

// headerValue is the received value of a signed header.
func headerValue(r *http.Request, name string) string {
	if name == "host" {
		return r.Host
	}
	return strings.TrimSpace(r.Header.Get(name))
}

// rfc3986 encodes as Aliyun's documentation describes: URL-encode in
// UTF-8, then "+" to "%20", "*" to "%2A" and "%7E" back to "~".
func rfc3986(s string) string {
	s = url.QueryEscape(s)
	s = strings.ReplaceAll(s, "+", "%20")
	s = strings.ReplaceAll(s, "*", "%2A")
	return strings.ReplaceAll(s, "%7E", "~")
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func mac(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
