package cloudsign

import (
	"encoding/hex"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Tencent Cloud API 3.0 constants.
const (
	TC3Algorithm   = "TC3-HMAC-SHA256"
	TC3ContentType = "application/json; charset=utf-8"
)

// TC3Key is a Tencent Cloud CAM API key, and the session token of
// temporary credentials ("" otherwise).
type TC3Key struct {
	ID     string
	Secret string
	Token  string
}

// SignTC3Request signs req, a POST of the JSON body calling action of
// service at API version. It sets Content-Type (TC3ContentType),
// X-TC-Action, X-TC-Version, X-TC-Timestamp (at), X-TC-Region (when region
// is not ""), X-TC-Token (when key has one) and Authorization, signing
// content-type, host and x-tc-action.
func SignTC3Request(req *http.Request, body []byte, service, action, version, region string, at time.Time, key TC3Key) {
	ts := at.Unix()
	req.Header.Set("Content-Type", TC3ContentType)
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", version)
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	if region != "" {
		req.Header.Set("X-TC-Region", region)
	}
	if key.Token != "" {
		req.Header.Set("X-TC-Token", key.Token)
	}
	signed := map[string]string{
		"content-type": TC3ContentType,
		"host":         req.URL.Host,
		"x-tc-action":  action,
	}
	req.Header.Set("Authorization", SignTC3(req.Method, canonicalPath(req.URL.EscapedPath()), req.URL.RawQuery, signed, body, service, ts, key.ID, key.Secret))
}

// SignTC3 returns the Authorization value for a request, following
// Tencent Cloud's TC3-HMAC-SHA256:
//
//	CanonicalRequest = Method "\n" CanonicalURI "\n" CanonicalQueryString "\n"
//	                   CanonicalHeaders "\n" SignedHeaders "\n" hex(sha256(payload))
//	StringToSign     = "TC3-HMAC-SHA256\n" timestamp "\n" date "/" service "/tc3_request\n"
//	                   hex(sha256(CanonicalRequest))
//	SecretSigning    = HMAC(HMAC(HMAC("TC3"+SecretKey, date), service), "tc3_request")
//	Signature        = hex(HMAC(SecretSigning, StringToSign))
//
// date is the UTC date of timestamp; canonical header names and values
// are lower case and trimmed, sorted by name.
func SignTC3(method, canonicalURI, canonicalQuery string, headers map[string]string, payload []byte, service string, timestamp int64, secretID, secretKey string) string {
	lower := make(map[string]string, len(headers))
	names := make([]string, 0, len(headers))
	for k, v := range headers {
		k = strings.ToLower(strings.TrimSpace(k))
		lower[k] = strings.ToLower(strings.TrimSpace(v))
		names = append(names, k)
	}
	sort.Strings(names)
	var ch strings.Builder
	for _, k := range names {
		ch.WriteString(k + ":" + lower[k] + "\n")
	}
	signed := strings.Join(names, ";")
	canonical := method + "\n" + canonicalURI + "\n" + canonicalQuery + "\n" + ch.String() + "\n" + signed + "\n" + HexSHA256(payload)
	date := time.Unix(timestamp, 0).UTC().Format("2006-01-02")
	scope := date + "/" + service + "/tc3_request"
	stringToSign := TC3Algorithm + "\n" + strconv.FormatInt(timestamp, 10) + "\n" + scope + "\n" + HexSHA256([]byte(canonical))
	key := hmacSHA256([]byte("TC3"+secretKey), date)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "tc3_request")
	sig := hex.EncodeToString(hmacSHA256(key, stringToSign))
	return TC3Algorithm + " Credential=" + secretID + "/" + scope + ", SignedHeaders=" + signed + ", Signature=" + sig
}
