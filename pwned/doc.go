// Package pwned checks passwords against the Have I Been Pwned "Pwned
// Passwords" range API without revealing them: only the first five
// hexadecimal characters of the password's SHA-1 hash leave the process
// (k-anonymity), and the request asks for a padded response so that its size
// does not hint at the prefix either.
//
// A Checker is optional; a host wires its CheckPassword into the service's
// password policy hook:
//
//	checker, err := pwned.New(pwned.Options{OnError: logBreachCheckFailure})
//	if err != nil { ... }
//	cfg.PasswordCheck = checker.CheckPassword // security.Config
//
// A breached password is refused with a *security.PolicyError whose Reason
// is "breached". When the API cannot be reached the Checker fails open
// (accepts the password and reports the failure to OnError) unless
// Options.FailClosed is set.
package pwned
