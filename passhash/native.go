package passhash

// IsNative reports whether stored is a hash the core checks by itself and
// keeps: an argon2id PHC string, version 19, within the ceilings, with salt
// and key of 16 bytes or more. Any other hash Verify accepts is legacy: check
// it with Verify and, on a match, replace it with a new argon2id hash of the
// password. Onion forms are not native: they are upgraded too.
func IsNative(stored string) bool {
	h, err := parseArgon2(stored, "argon2id")
	return err == nil && len(h.salt) >= 16 && len(h.hash) >= 16
}
