package messages

import "github.com/acctsec/security"

const enSupport = `{{if .Support}}{{.Support}}{{else}}{{.AppName}} support{{end}}`

var en = localeTexts{
	codes: map[security.Purpose]codeTexts{
		security.PurposeBindPhone: {
			subject: "{{.AppName}}: your code to link a phone number",
			action:  "link this phone number to your {{.AppName}} account",
		},
		security.PurposeConfirmPhone: {
			subject: "{{.AppName}}: your code to confirm your phone",
			action:  "confirm a security change to your {{.AppName}} account (a new phone number, a payment password reset or a first login password)",
		},
		security.PurposeForgotPassword: {
			subject: "{{.AppName}}: your code to reset your password",
			action:  "reset the password of your {{.AppName}} account",
		},
		security.PurposeVerifyEmail: {
			subject: "{{.AppName}}: verify your email address",
			action:  "verify this email address for your {{.AppName}} account",
		},
		security.PurposeLoginCode: {
			subject: "{{.AppName}}: your sign-in code",
			action:  "sign in to your {{.AppName}} account",
		},
	},
	notices: map[security.Purpose]noticeTexts{
		security.PurposePasswordChanged: {
			subject:  "{{.AppName}}: your password was changed",
			what:     "The login password of your {{.AppName}} account was changed on {{.Time}}.",
			ifNotYou: "If this was not you, reset your password at once with “Forgot password” and contact " + enSupport + ".",
		},
		security.PurposePasswordReset: {
			subject:  "{{.AppName}}: your password was reset",
			what:     "The login password of your {{.AppName}} account was reset with a verification code on {{.Time}}.",
			ifNotYou: "If this was not you, reset your password at once with “Forgot password” and contact " + enSupport + ".",
		},
		security.PurposePhoneBound: {
			subject:  "{{.AppName}}: a phone number was linked to your account",
			what:     "A phone number was linked to your {{.AppName}} account on {{.Time}}.",
			ifNotYou: "If this was not you, change your password at once and contact " + enSupport + ".",
		},
		security.PurposePhoneUnbound: {
			subject:  "{{.AppName}}: a phone number was removed from your account",
			what:     "The phone number was removed from your {{.AppName}} account on {{.Time}}.",
			ifNotYou: "If this was not you, change your password at once and contact " + enSupport + ".",
		},
		security.PurposePayPasswordSet: {
			subject:  "{{.AppName}}: your payment password was set",
			what:     "A payment password was set for your {{.AppName}} account on {{.Time}}.",
			ifNotYou: "If this was not you, change your password at once and contact " + enSupport + ".",
		},
		security.PurposePayPasswordChanged: {
			subject:  "{{.AppName}}: your payment password was changed",
			what:     "The payment password of your {{.AppName}} account was changed on {{.Time}}.",
			ifNotYou: "If this was not you, change your password at once and contact " + enSupport + ".",
		},
		security.PurposePayPasswordReset: {
			subject:  "{{.AppName}}: your payment password was reset",
			what:     "The payment password of your {{.AppName}} account was reset on {{.Time}}.",
			ifNotYou: "If this was not you, change your password at once and contact " + enSupport + ".",
		},
		security.PurposePayPasswordLocked: {
			subject: "{{.AppName}}: your payment password is locked",
			what: "The payment password of your {{.AppName}} account was locked on {{.Time}} after too many wrong tries. " +
				"{{if .LockedUntil}}It unlocks on {{.LockedUntil}}.{{else}}It stays locked until you reset it.{{end}}",
			ifNotYou: "If you did not make these tries, change your password at once and contact " + enSupport + ".",
		},
		security.PurposeEmailVerified: {
			subject:  "{{.AppName}}: your email address was verified",
			what:     "This email address was verified for your {{.AppName}} account on {{.Time}}.",
			ifNotYou: "If this was not you, contact " + enSupport + " at once.",
		},
	},

	codeSMS:   "{{.AppName}}: {{.Code}} is your code to %action%. It expires in {{.TTL}}. Never share it: {{.AppName}} staff will never ask for it.",
	noticeSMS: "{{.AppName}}: %what% %ifnotyou%",

	greeting:     "Hello,",
	codeIntro:    "Someone, hopefully you, asked {{.AppName}} for a code to %action%. Your code is:",
	linkIntro:    "Or verify your address in one click:",
	linkButton:   "Verify email address",
	linkFallback: "If the button does not work, open this link:",
	ttl:          "The code expires in {{.TTL}} and works once.",
	ttlWithLink:  "The code and the link expire in {{.TTL}} and work once.",
	never:        "Never share this code with anyone. {{.AppName}} staff will never ask you for it, by phone, message or email.",
	ignore:       "If you did not ask for it, ignore this email: nothing changes without the code.",
	noticeFooter: "This is an automatic security notice. {{.AppName}} will never ask you for your password, payment password or codes.",
	signoff:      "The {{.AppName}} team",

	fonts:      "-apple-system,Arial,'PingFang SC','Microsoft YaHei',sans-serif",
	timeLayout: "2 Jan 2006 15:04 MST",
	unitSep:    " ",
	minute:     unitWords{"minute", "minutes"},
	hour:       unitWords{"hour", "hours"},
	day:        unitWords{"day", "days"},
}
