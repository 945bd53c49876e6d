package messages

import "github.com/acctsec/security"

// Purposes returns every purpose the package has texts for: the code
// purposes first, then the notices, in the order of notifier.go.
func Purposes() []security.Purpose {
	return []security.Purpose{
		security.PurposeBindPhone,
		security.PurposeConfirmPhone,
		security.PurposeForgotPassword,
		security.PurposeVerifyEmail,
		security.PurposeLoginCode,
		security.PurposePasswordChanged,
		security.PurposePasswordReset,
		security.PurposePhoneBound,
		security.PurposePhoneUnbound,
		security.PurposePayPasswordSet,
		security.PurposePayPasswordChanged,
		security.PurposePayPasswordReset,
		security.PurposePayPasswordLocked,
		security.PurposeEmailVerified,
	}
}

func isPurpose(p security.Purpose) bool {
	for _, q := range Purposes() {
		if p == q {
			return true
		}
	}
	return false
}
