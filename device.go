package security

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"
)

// A device token marks a client that has signed in to an account before,
// as in OWASP's device-cookie scheme: VerifyPassword issues one on success,
// the host keeps it on the client (a long-lived, HttpOnly cookie), and the
// client presents it back in Client.DeviceToken. Wrong passwords from a
// client without a valid token for the account lock only such clients; a
// known device has its own, smaller allowance, so an attacker guessing a
// user's password cannot lock the user out of the devices the user already
// uses. The owner's sends from a known device (a forgot-password start, an
// email verification) also draw on the owner's own send budget.
//
// The token is "d1." + base64url(id ‖ issued) + "." + base64url(MAC): a
// random 16-byte ID, the issue time, and an HMAC under the store-key secret
// (Config.StoreKeySecret, else Config.Secret) binding both to the user ID. It holds no user data and nothing is stored
// for it: the counters of a device exist only once it has failed.

const deviceTokenPrefix = "d1."

// device is a verified device token.
type device struct {
	id string // base64url of the random ID, for store keys
}

// issueDevice returns a new device token for userID.
func (s *Service) issueDevice(userID string) (string, error) {
	var body [24]byte
	if _, err := s.rand.Read(body[:16]); err != nil {
		return "", err
	}
	binary.BigEndian.PutUint64(body[16:], uint64(s.now().Unix()))
	b := base64.RawURLEncoding.EncodeToString(body[:])
	mac := s.deviceMAC(userID, b)
	return deviceTokenPrefix + b + "." + base64.RawURLEncoding.EncodeToString(mac), nil
}

// deviceOf returns the device that ctx's client presents for userID, if its
// token is valid for that user and younger than Limits.DeviceTokenTTL.
func (s *Service) deviceOf(ctx context.Context, userID string) (device, bool) {
	tok := ClientFrom(ctx).DeviceToken
	if userID == "" || len(tok) > 96 || !strings.HasPrefix(tok, deviceTokenPrefix) {
		return device{}, false
	}
	b, m, ok := strings.Cut(tok[len(deviceTokenPrefix):], ".")
	if !ok {
		return device{}, false
	}
	body, err1 := base64.RawURLEncoding.DecodeString(b)
	mac, err2 := base64.RawURLEncoding.DecodeString(m)
	if err1 != nil || err2 != nil || len(body) != 24 || len(mac) != 16 {
		return device{}, false
	}
	if !hmac.Equal(mac, s.deviceMAC(userID, b)) {
		return device{}, false
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(body[16:])), 0)
	if age := s.now().Sub(issued); age < -time.Minute || age > s.lim.DeviceTokenTTL {
		return device{}, false
	}
	return device{id: base64.RawURLEncoding.EncodeToString(body[:16])}, true
}

// deviceMAC signs a device token's body for userID: 128 bits of HMAC under
// the store-key secret, which a rotation of Config.Secret leaves alone, so
// rotating the secret does not turn every known device into a stranger.
func (s *Service) deviceMAC(userID, body string) []byte {
	st := s.keys.store.get()
	defer s.keys.store.put(st)
	st.add("device")
	st.add(userID)
	st.add(body)
	return append([]byte(nil), st.mac()[:16]...)
}

// devicePasswordKey counts the wrong passwords typed on one known device
// for the password of userID set at set (see passwordKey).
func (s *Service) devicePasswordKey(userID string, set time.Time, d device) string {
	if set.IsZero() {
		return s.key("pw-device", userID, d.id)
	}
	return s.key("pw-device", userID, d.id, passwordEpoch(set))
}
