package cloudsign

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// ACS3Algorithm names Aliyun's signature method V3.
const ACS3Algorithm = "ACS3-HMAC-SHA256"

// ACS3Key is an Aliyun AccessKey: a RAM user's ID and secret, and the STS
// token when the key is temporary ("" otherwise).
type ACS3Key struct {
	ID            string
	Secret        string
	SecurityToken string
}

// SignACS3Request signs req, an RPC-style call of action at API version,
// whose body is body (nil for none) and whose URL query, if any, was built
// with ACS3Query. It sets x-acs-action, x-acs-version, x-acs-date (date in
// UTC), x-acs-signature-nonce, x-acs-content-sha256, x-acs-security-token
// (when key has one) and Authorization. Signed are host, every x-acs-*
// header and Content-Type when set, as the V3 document requires.
func SignACS3Request(req *http.Request, body []byte, action, version string, date time.Time, nonce string, key ACS3Key) {
	payloadHash := HexSHA256(body)
	req.Header.Set("x-acs-action", action)
	req.Header.Set("x-acs-version", version)
	req.Header.Set("x-acs-date", date.UTC().Format("2006-01-02T15:04:05Z"))
	req.Header.Set("x-acs-signature-nonce", nonce)
	req.Header.Set("x-acs-content-sha256", payloadHash)
	if key.SecurityToken != "" {
		req.Header.Set("x-acs-security-token", key.SecurityToken)
	}
	signed := map[string]string{"host": req.URL.Host}
	for name, vs := range req.Header {
		l := strings.ToLower(name)
		if (strings.HasPrefix(l, "x-acs-") || l == "content-type") && len(vs) > 0 {
			signed[l] = vs[0]
		}
	}
	req.Header.Set("Authorization", SignACS3(req.Method, canonicalPath(req.URL.EscapedPath()), req.URL.RawQuery, signed, payloadHash, key.ID, key.Secret))
}

// SignACS3 returns the Authorization value for a request, following
// Aliyun's signature method V3:
//
//	CanonicalRequest = Method "\n" CanonicalURI "\n" CanonicalQueryString "\n"
//	                   CanonicalHeaders "\n" SignedHeaders "\n" HashedRequestPayload
//	StringToSign     = "ACS3-HMAC-SHA256\n" hex(sha256(CanonicalRequest))
//	Signature        = hex(HMAC-SHA256(AccessKeySecret, StringToSign))
//
// headers are the signed headers; each canonical header line is
// "lower-case name:trimmed value\n", sorted by name.
func SignACS3(method, canonicalURI, canonicalQuery string, headers map[string]string, payloadHash, keyID, secret string) string {
	names := make([]string, 0, len(headers))
	lower := make(map[string]string, len(headers))
	for k, v := range headers {
		k = strings.ToLower(k)
		names = append(names, k)
		lower[k] = strings.TrimSpace(v)
	}
	sort.Strings(names)
	var ch strings.Builder
	for _, k := range names {
		ch.WriteString(k)
		ch.WriteByte(':')
		ch.WriteString(lower[k])
		ch.WriteByte('\n')
	}
	signed := strings.Join(names, ";")
	canonical := method + "\n" + canonicalURI + "\n" + canonicalQuery + "\n" + ch.String() + "\n" + signed + "\n" + payloadHash
	stringToSign := ACS3Algorithm + "\n" + HexSHA256([]byte(canonical))
	sig := hex.EncodeToString(hmacSHA256([]byte(secret), stringToSign))
	return ACS3Algorithm + " Credential=" + keyID + ",SignedHeaders=" + signed + ",Signature=" + sig
}

// ACS3Query is the canonical query string of q (also a valid form body):
// keys sorted, then values, keys and values percent-encoded as ACS3Escape
// does, an empty value as "key=".
func ACS3Query(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(ACS3Escape(k))
			b.WriteByte('=')
			b.WriteString(ACS3Escape(v))
		}
	}
	return b.String()
}

// ACS3Escape percent-encodes s as Aliyun documents (RFC 3986): every byte
// but A-Z a-z 0-9 - _ . ~ becomes %XY, upper-case hex, of its UTF-8
// encoding; a space is %20, never "+".
func ACS3Escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// canonicalPath is the canonical URI of both algorithms: the escaped
// path, "/" when empty.
func canonicalPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
