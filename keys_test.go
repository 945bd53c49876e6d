package security

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// referenceMAC is the documented construction, written out with a fresh
// crypto/hmac: HMAC-SHA-256 over each part as a 4-byte big-endian length
// then its bytes. Stored keys, code MACs, ticket IDs and PIN peppers all
// depend on it, so the pooled implementation must give exactly this.
func referenceMAC(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		m.Write(n[:])
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

func TestMACOutputsArePinned(t *testing.T) {
	secret := []byte("DSJyBcS3nhzI9xVHIKW+jvXjOepLCMOHwvoCgBMaCMQ=")
	s := newTestService(t, Config{Secret: secret})
	long := strings.Repeat("界", 400) // longer than the pooled buffer's first size

	assert.Equal(t, "pw:"+base64.RawURLEncoding.EncodeToString(referenceMAC(secret, "key", "pw", "u1")[:16]),
		s.key("pw", "u1"))
	assert.Equal(t, "code-member:"+base64.RawURLEncoding.EncodeToString(referenceMAC(secret, "key", "code-member", "u1", "+8613800138000")[:16]),
		s.key("code-member", "u1", "+8613800138000"))
	assert.Equal(t, "sms-budget:"+base64.RawURLEncoding.EncodeToString(referenceMAC(secret, "key", "sms-budget")[:16]),
		s.key("sms-budget"))
	assert.Equal(t, "fail:"+base64.RawURLEncoding.EncodeToString(referenceMAC(secret, "key", "fail", long)[:16]),
		s.key("fail", long))
	assert.Equal(t, referenceMAC(secret, "code", "scope-1", "+8613800138000", "012345"),
		s.codeMAC("scope-1", "+8613800138000", "012345"))
	assert.Equal(t, base64.RawURLEncoding.EncodeToString(referenceMAC(secret, "ticket", "flow", "handle-abc")),
		s.ticketID("flow", "handle-abc"))
	assert.Equal(t, hex.EncodeToString(referenceMAC(secret, "pin", "u1", "024680")), s.pepperPIN("u1", "024680"))

	// Shard tags and tagged ticket IDs. The literals were computed apart
	// from this code, with Python's hmac, hashlib, struct and base64 (the
	// construction of referenceMAC: tag = base64url of the first 3 bytes of
	// MAC("shard", scope); ID = tag "." base64url MAC("ticket", kind, handle)).
	// A phone's flows carry the phone's tag, MAC("shard", "dest\x00" phone).
	flows := "forgot:pK10el35Bh1N4fXDkwvKGg"
	require.Equal(t, flows, s.key("forgot", "+8613800138000"))
	assert.Equal(t, "p-_L", s.shardTag(flows))
	assert.Equal(t, "rjQH."+flows, s.flowScope("+8613800138000"))
	const random = "Yk3p0c1h8wQvL2nX5rT7uZ9aB4dF6gH8jK0mN2pQ4sU" // 43 characters: 32 bytes
	assert.Equal(t, "p-_L.jj6sCTcWHMg2x2fu3sujMaqRY_hzp5oTnWDp9MAUZw8", s.ticketID("flow", "p-_L"+random))
	// A handle of before tags (43 characters) keeps its untagged ID, so
	// flows and links issued before an upgrade are still found.
	assert.Equal(t, "nb8r5fCUhQ4_9N4x98LUzqg2QEyyQb5rDCRG07--40c", s.ticketID("flow", random))

	// The length prefix keeps part boundaries: ("ab","c") and ("a","bc") differ.
	assert.NotEqual(t, s.key("k", "ab", "c"), s.key("k", "a", "bc"))
}

// TestTicketIDTags: a handle's tag is read back only from a handle of the
// issued shape, and it steers nothing but placement: a chosen tag gives an
// ID of that tag whose MAC covers the whole handle, so it names no ticket
// of another handle.
func TestTicketIDTags(t *testing.T) {
	secret := []byte("DSJyBcS3nhzI9xVHIKW+jvXjOepLCMOHwvoCgBMaCMQ=")
	s := newTestService(t, Config{Secret: secret})
	const random = "Yk3p0c1h8wQvL2nX5rT7uZ9aB4dF6gH8jK0mN2pQ4sU"
	mac := func(handle string) string {
		return base64.RawURLEncoding.EncodeToString(referenceMAC(secret, "ticket", "flow", handle))
	}

	issued := s.ticketID("flow", "p-_L"+random)
	forged := s.ticketID("flow", "AAAA"+random)
	assert.Equal(t, "AAAA."+mac("AAAA"+random), forged)
	assert.NotEqual(t, strings.SplitN(issued, ".", 2)[1], strings.SplitN(forged, ".", 2)[1],
		"the MAC covers the tag: a forged tag does not carry the real ticket's MAC")

	// Not the issued shape: no tag, so a lookup goes where untagged IDs live.
	for _, h := range []string{
		"a.b}" + random,       // 47 characters, a prefix outside base64url
		"{ab}" + random,       // hash-tag braces
		"p-_L" + random + "x", // too long
		"p-_L",                // too short
		"",
	} {
		id := s.ticketID("flow", h)
		assert.Equal(t, mac(h), id, "handle %q", h)
		assert.NotContains(t, id, ".", "handle %q", h)
	}

	// Handles carry the tag given, then 43 base64url characters.
	h, err := s.newTicketHandle("p-_L")
	require.NoError(t, err)
	assert.Regexp(t, `^p-_L[A-Za-z0-9_-]{43}$`, h)
	assert.True(t, strings.HasPrefix(s.ticketID("flow", h), "p-_L."))
	assert.Equal(t, "p-_L", tagOf(s.ticketID("flow", h)))
	assert.Equal(t, "", tagOf(s.ticketID("flow", random)))
	assert.Equal(t, "", tagOf(".x"), "an empty prefix is no tag")
}

// TestKeysDuringRotation: store keys and ticket IDs stay under the
// store-key secret; code MACs and new PIN peppers move to the new secret.
func TestKeysDuringRotation(t *testing.T) {
	oldKey := []byte("DSJyBcS3nhzI9xVHIKW+jvXjOepLCMOHwvoCgBMaCMQ=")
	newKey := []byte("Gd4uaQ5t75QZwNOBq9lCvz/zEckKKRsUDISGIs6N5Nk=")
	s := newTestService(t, Config{Secret: newKey, PreviousSecrets: [][]byte{oldKey}, StoreKeySecret: oldKey})
	assert.Equal(t, "pay:"+base64.RawURLEncoding.EncodeToString(referenceMAC(oldKey, "key", "pay", "u1")[:16]), s.key("pay", "u1"))
	assert.Equal(t, base64.RawURLEncoding.EncodeToString(referenceMAC(oldKey, "ticket", "link", "tok")), s.ticketID("link", "tok"))
	link := s.key("link", "a@example.com", "u1")
	assert.Equal(t, base64.RawURLEncoding.EncodeToString(referenceMAC(oldKey, "shard", "dest\x00a@example.com")[:3])+"."+link,
		s.linkScope("a@example.com", "u1"), "shard tags stay under the store-key secret too")
	assert.Equal(t, referenceMAC(newKey, "code", "scope", "dest", "123456"), s.codeMAC("scope", "dest", "123456"))
	assert.Equal(t, hex.EncodeToString(referenceMAC(newKey, "pin", "u1", "024680")), s.pepperPIN("u1", "024680"))
	assert.Equal(t, hex.EncodeToString(referenceMAC(oldKey, "pin", "u1", "024680")), s.keys.pepperByID(KeyID(oldKey)).pepper("u1", "024680"))

	m := hmac.New(sha256.New, newKey)
	m.Write([]byte("acctsec key id"))
	assert.Equal(t, hex.EncodeToString(m.Sum(nil))[:8], KeyID(newKey))
	assert.NotEqual(t, KeyID(oldKey), KeyID(newKey))
}

// TestMACConcurrent hammers the pooled state from many goroutines: every
// answer must still be the reference one (run with -race).
func TestMACConcurrent(t *testing.T) {
	secret := []byte("DSJyBcS3nhzI9xVHIKW+jvXjOepLCMOHwvoCgBMaCMQ=")
	s := newTestService(t, Config{Secret: secret})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				u := strings.Repeat("u", g*50+i%7)
				want := referenceMAC(secret, "code", u, "+8613800138000", "000000")
				if got := s.codeMAC(u, "+8613800138000", "000000"); !hmac.Equal(want, got) {
					t.Errorf("goroutine %d: MAC differs", g)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkKey measures the MACs of one member flow (send a code, bind):
// the store keys of its throttles and lock, the code scope and the code MAC.
func BenchmarkKey(b *testing.B) {
	s, err := New(nopStore{}, NotifierFunc(nil), Config{Secret: []byte("DSJyBcS3nhzI9xVHIKW+jvXjOepLCMOHwvoCgBMaCMQ=")})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.key("send-ip", "203.0.113.0")
		_ = s.key("send-account", "u1")
		_ = s.key("fail", "+8613800138000")
		_ = s.key("send-dest", "+8613800138000")
		_ = s.key("code-member", "u1", "+8613800138000")
		_ = s.codeMAC("scope", "+8613800138000", "012345")
		_ = s.ticketID("flow", "p-_LYk3p0c1h8wQvL2nX5rT7uZ9aB4dF6gH8jK0mN2pQ4sU")
		_ = s.pepperPIN("u1", "024680")
	}
}
