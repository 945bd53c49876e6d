package pwned

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	security "github.com/acctsec/security"
)

// prefixLen is how many hex characters of the SHA-1 hash are sent.
const prefixLen = 5

// suffixLen is how many hex characters of each response line identify a
// hash: the 40 of SHA-1 less the prefix.
const suffixLen = sha1.Size*2 - prefixLen

// errMalformed: the response is not a range response.
var errMalformed = errors.New("pwned: malformed response")

// CheckPassword returns a *security.PolicyError wrapping
// security.ErrWeakPassword with Reason "breached" if password appears in the
// breach corpus at least MinCount times, and nil if it does not.
//
// Only the first five hex characters of its SHA-1 hash are sent. If the
// check fails (network error, timeout, non-200 status, a body over
// MaxResponseBytes, a malformed body), OnError is called and the result is a
// PolicyError with Reason "check_failed" when FailClosed is set, nil
// otherwise. If ctx itself is done, its error (context.Canceled or
// context.DeadlineExceeded) is returned instead, whatever FailClosed says:
// the caller has gone, and neither answer is meaningful.
func (c *Checker) CheckPassword(ctx context.Context, password string) error {
	sum := sha1.Sum([]byte(password))
	var hexSum [sha1.Size * 2]byte
	hex.Encode(hexSum[:], sum[:])
	upper(hexSum[:])
	prefix, suffix := string(hexSum[:prefixLen]), hexSum[prefixLen:]

	count, err := c.lookup(ctx, prefix, suffix)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if c.onError != nil {
			c.onError(err)
		}
		if c.failClosed {
			return &security.PolicyError{Reason: "check_failed", Err: security.ErrWeakPassword}
		}
		return nil
	}
	if count >= c.minCount {
		return &security.PolicyError{Reason: "breached", Err: security.ErrWeakPassword}
	}
	return nil
}

// lookup fetches the range of prefix and returns the count listed for
// suffix, 0 if it is not listed.
func (c *Checker) lookup(ctx context.Context, prefix string, suffix []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.rangeURL+prefix, nil)
	if err != nil {
		return 0, errors.New("pwned: cannot build request")
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("pwned: request failed: %w", withoutURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return 0, fmt.Errorf("pwned: unexpected status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return 0, fmt.Errorf("pwned: reading response: %w", withoutURL(err))
	}
	if len(body) > MaxResponseBytes {
		return 0, fmt.Errorf("pwned: response larger than %d bytes", MaxResponseBytes)
	}
	return scanRange(body, suffix)
}

// scanRange returns the count of the "SUFFIX:COUNT" line of body whose
// suffix is suffix (upper-case hex), 0 if none. Every line is compared in
// constant time and the scan never stops early, so timing does not tell
// whether, or where, the password's own suffix was found.
func scanRange(body, suffix []byte) (int, error) {
	count := 0
	var line [suffixLen]byte
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		hashPart, countPart, ok := bytes.Cut(text, []byte{':'})
		if !ok || len(hashPart) != suffixLen {
			return 0, errMalformed
		}
		n, err := strconv.Atoi(string(countPart))
		if err != nil || n < 0 {
			return 0, errMalformed
		}
		copy(line[:], hashPart)
		upper(line[:]) // the response is public; only its comparison is not
		eq := subtle.ConstantTimeCompare(line[:], suffix)
		count = subtle.ConstantTimeSelect(eq, n, count)
	}
	if err := sc.Err(); err != nil {
		return 0, errMalformed
	}
	return count, nil
}

// upper upper-cases ASCII hex letters in place.
func upper(b []byte) {
	for i, c := range b {
		if 'a' <= c && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
}

// withoutURL strips the request URL (which holds the hash prefix) from a
// *url.Error, keeping its cause.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
