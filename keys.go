package security

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
)

// macKey is one HMAC-SHA-256 key. Keyed states are pooled, so a MAC costs
// neither hmac.New nor a fresh hash: crypto/hmac's Reset restores the
// precomputed inner and outer pads of the key.
type macKey struct {
	pool sync.Pool // of *macState
}

// macState is a keyed HMAC and the buffer its input is assembled in.
type macState struct {
	h   hash.Hash
	in  []byte
	sum [sha256.Size]byte
}

// maxPooledInput bounds the input buffer a pooled state keeps.
const maxPooledInput = 1024

func newMACKey(key []byte) *macKey {
	k := append([]byte(nil), key...)
	m := &macKey{}
	m.pool.New = func() any {
		h := hmac.New(sha256.New, k)
		h.Reset() // first Reset saves the keyed pads: later Resets are cheap
		return &macState{h: h, in: make([]byte, 0, 128)}
	}
	return m
}

// get returns a state with an empty input.
func (m *macKey) get() *macState { return m.pool.Get().(*macState) }

// put returns st to the pool.
func (m *macKey) put(st *macState) {
	if cap(st.in) > maxPooledInput {
		st.in = make([]byte, 0, 128)
	}
	st.in = st.in[:0]
	m.pool.Put(st)
}

// add appends one part: its length as 4 big-endian bytes, then its bytes,
// so that no two part lists share an input.
func (st *macState) add(p string) {
	st.in = binary.BigEndian.AppendUint32(st.in, uint32(len(p)))
	st.in = append(st.in, p...)
}

// mac returns the MAC of the input added so far; valid until put.
func (st *macState) mac() []byte {
	st.h.Reset()
	st.h.Write(st.in)
	return st.h.Sum(st.sum[:0])
}

// key derives an opaque store key: kind, then 128 bits of MAC over parts,
// under the store-key secret (stable across rotations of Config.Secret).
// Store keys never hold phone numbers, addresses or user IDs in the clear.
func (s *Service) key(kind string, parts ...string) string {
	st := s.keys.store.get()
	defer s.keys.store.put(st)
	st.add("key")
	st.add(kind)
	for _, p := range parts {
		st.add(p)
	}
	sum := st.mac()
	var buf [64]byte
	out := append(buf[:0], kind...)
	out = append(out, ':')
	out = base64.RawURLEncoding.AppendEncode(out, sum[:16])
	return string(out)
}

// codeMAC is what a store keeps of a code: bound to its scope and
// destination, so a code is worthless outside them. It is keyed by the
// current secret, so a code sent before a rotation no longer matches.
func (s *Service) codeMAC(scope, dest, code string) []byte {
	st := s.keys.current.mac.get()
	defer s.keys.current.mac.put(st)
	st.add("code")
	st.add(scope)
	st.add(dest)
	st.add(code)
	return append([]byte(nil), st.mac()...)
}

// shardTagLen is the length of a shard tag: 4 base64url characters, 24
// bits, far more values than the 16384 slots of a Redis Cluster.
const shardTagLen = 4

// handleLen is the length of a handle the Service issues now: a shard tag,
// then 32 random bytes in base64url.
const handleLen = shardTagLen + 43

// shardTag returns the shard tag of a scope: the first characters of
// a MAC of it under the store-key secret (so it is stable across rotations
// of Config.Secret), base64url. It says nothing a store could not read from
// the scope itself, and is only there to spread state over shards.
func (s *Service) shardTag(scope string) string {
	st := s.keys.store.get()
	defer s.keys.store.put(st)
	st.add("shard")
	st.add(scope)
	var buf [8]byte
	return string(base64.RawURLEncoding.AppendEncode(buf[:0], st.mac()[:shardTagLen*6/8]))
}

// destKey is a store key about dest: the shard tag of dest, ".", then
// key(kind, parts...). A destination's code scopes and failure counters
// share the tag, so a store can check a code and move its counters in one
// atomic step (see CodeCheck), on one Redis Cluster slot.
func (s *Service) destKey(dest, kind string, parts ...string) string {
	return s.taggedKey(s.destTag(dest), kind, parts...)
}

// destTag is the shard tag of dest (see destKey). A flow that makes
// several keys of one destination derives it once.
func (s *Service) destTag(dest string) string { return s.shardTag("dest\x00" + dest) }

// taggedKey is key(kind, parts...) behind the shard tag tag.
func (s *Service) taggedKey(tag, kind string, parts ...string) string {
	return tag + "." + s.key(kind, parts...)
}

// tagOf returns the shard tag of a ticket ID or scope made by the Service,
// or "" for one made before tags (no ".").
func tagOf(idOrScope string) string {
	if i := strings.IndexByte(idOrScope, '.'); i > 0 {
		return idOrScope[:i]
	}
	return ""
}

// ticketID is what a store keeps of a flow handle or link token: a store
// key, so it is keyed like one and survives rotations of Config.Secret.
// A handle the Service issues now starts with the shard tag of its ticket's
// scope, and its ID is that tag, ".", then the MAC of the whole handle, so
// a store can place the ticket with its scope. The tag is not secret and
// is not checked: a handle forged with a chosen tag only sends the lookup
// to that shard, where the MAC of the forged handle finds nothing. Any
// other handle (the untagged 43 characters issued before tags, or garbage)
// gets the untagged ID of before, so flows and links issued before an
// upgrade keep working.
func (s *Service) ticketID(kind, handle string) string {
	st := s.keys.store.get()
	defer s.keys.store.put(st)
	st.add("ticket")
	st.add(kind)
	st.add(handle)
	var buf [64]byte
	out := buf[:0]
	if len(handle) == handleLen && isBase64URL(handle[:shardTagLen]) {
		out = append(out, handle[:shardTagLen]...)
		out = append(out, '.')
	}
	return string(base64.RawURLEncoding.AppendEncode(out, st.mac()))
}

// isBase64URL reports whether v is made only of the base64url alphabet.
func isBase64URL(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// pepper is what argon2id hashes instead of a PIN: an HMAC under k, bound
// to the user, so a stolen database alone cannot be searched through the
// 10^6 possible PINs.
func (k *pepperKey) pepper(userID, pin string) string {
	st := k.mac.get()
	defer k.mac.put(st)
	st.add("pin")
	st.add(userID)
	st.add(pin)
	var buf [2 * sha256.Size]byte
	hex.Encode(buf[:], st.mac())
	return string(buf[:])
}

// newCode returns a uniformly random decimal code of 6 digits, leading
// zeros kept, by rejection sampling (no modulo bias).
func (s *Service) newCode() (string, error) {
	const space = 1_000_000
	const limit = (1 << 32) / space * space
	var b [4]byte
	for {
		if _, err := io.ReadFull(s.rand, b[:]); err != nil {
			return "", fmt.Errorf("security: random source: %w", err)
		}
		if v := binary.BigEndian.Uint32(b[:]); v < limit {
			return fmt.Sprintf("%06d", v%space), nil
		}
	}
}

// newHandle returns 32 random bytes, base64url-encoded.
func (s *Service) newHandle() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("security: random source: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newTicketHandle returns a handle for a ticket whose scope has shard tag
// tag: the tag, then newHandle's 32 random bytes. Only the random part is
// secret; ticketID reads the tag back from the handle.
func (s *Service) newTicketHandle(tag string) (string, error) {
	h, err := s.newHandle()
	if err != nil {
		return "", err
	}
	return tag + h, nil
}
