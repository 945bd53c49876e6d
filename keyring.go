package security

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// pepperKey is a secret that peppers PINs, named by its key ID.
type pepperKey struct {
	id  string
	mac *macKey
}

// keyring holds the Service's keys.
//
//   - store (Config.StoreKeySecret, else Secret) names store entries: the
//     keys of throttles, locks and code scopes, and the IDs of flows and
//     links. It does not change when Secret rotates, so rotation keeps every
//     lock, throttle, flow and link.
//   - current (Config.Secret) keys code MACs and peppers new PIN hashes.
//   - previous (Config.PreviousSecrets) only verify PINs peppered before a
//     rotation, until their next successful check re-peppers them.
type keyring struct {
	store    *macKey
	current  *pepperKey
	previous []*pepperKey
}

// KeyID names a secret without revealing it: the first 8 hex digits of
// HMAC-SHA-256(secret, "acctsec key id"). Stored pay-password hashes carry
// the ID of the secret that peppered them ("$acctsec-pin$k=<id>$argon2id$..."),
// so an operator can count the hashes still peppered with a previous secret
// before dropping it from Config.PreviousSecrets.
func KeyID(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("acctsec key id"))
	return hex.EncodeToString(m.Sum(nil)[:4])
}

func newPepperKey(secret []byte) *pepperKey {
	return &pepperKey{id: KeyID(secret), mac: newMACKey(secret)}
}

// newKeyring validates the secrets of cfg and builds the keys.
func newKeyring(cfg Config) (keyring, error) {
	if err := validateSecret("Config.Secret", cfg.Secret); err != nil {
		return keyring{}, err
	}
	r := keyring{current: newPepperKey(cfg.Secret)}
	seen := map[string]string{r.current.id: "Config.Secret"}
	for i, p := range cfg.PreviousSecrets {
		name := fmt.Sprintf("Config.PreviousSecrets[%d]", i)
		if err := validateSecret(name, p); err != nil {
			return keyring{}, err
		}
		k := newPepperKey(p)
		if other, dup := seen[k.id]; dup {
			return keyring{}, fmt.Errorf("security: %s is the same secret as %s (key ID %s)", name, other, k.id)
		}
		seen[k.id] = name
		r.previous = append(r.previous, k)
	}
	storeSecret := cfg.Secret
	if cfg.StoreKeySecret != nil {
		if err := validateSecret("Config.StoreKeySecret", cfg.StoreKeySecret); err != nil {
			return keyring{}, err
		}
		storeSecret = cfg.StoreKeySecret
	} else if len(cfg.PreviousSecrets) > 0 {
		return keyring{}, errors.New("security: Config.StoreKeySecret is required with PreviousSecrets: set it to the secret " +
			"the store keys were made with (the Secret in use before the first rotation), or to the new Secret to rename " +
			"every store key, which forgets every throttle and lock")
	}
	r.store = newMACKey(storeSecret)
	return r, nil
}

// pepperByID returns the configured pepper key with key ID id, or nil.
func (r *keyring) pepperByID(id string) *pepperKey {
	if r.current.id == id {
		return r.current
	}
	for _, k := range r.previous {
		if k.id == id {
			return k
		}
	}
	return nil
}
