package passhash

import "errors"

// Errors returned by Import, ImportOnion and Verify. Test with errors.Is.
// Their text names the scheme and the offending parameter at most: never the
// hash, the salt or the password.
var (
	// ErrUnknownScheme: no scheme of the Schemes recognises the hash, or
	// the scheme named by the caller is not registered.
	ErrUnknownScheme = errors.New("passhash: unknown hash scheme")
	// ErrMalformed: the hash (or salt) does not follow its scheme's format.
	ErrMalformed = errors.New("passhash: malformed hash")
	// ErrTooCostly: the hash's cost parameters are above the ceilings (see
	// the package documentation), so it is refused without being run.
	ErrTooCostly = errors.New("passhash: hash cost above the allowed ceiling")
	// ErrPlaintext: the hash is a plaintext password ({noop}); Import
	// refuses to store it, ImportOnion hashes it.
	ErrPlaintext = errors.New("passhash: plaintext password; import it with ImportOnion")
)
