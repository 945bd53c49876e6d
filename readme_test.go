package security_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// goAPI holds README's "Go API" block, compiled: TestREADMEGoAPI checks
// that the README shows the lines between the markers verbatim (less one
// level of indentation), so the reference cannot drift from the API.
func goAPI(ctx context.Context, svc *security.Service, userID, password, newPassword, phone, email, code,
	currentCode, pin, newPIN, token string) {
	var (
		err           error
		tok, id       string
		handle        string
		info          *security.AccountInfo
		status        *security.Status
		payStatus     security.PayPasswordStatus
		oldPIN        = pin
		newPhone      = phone
		phoneOrEmail  = phone
		oldPassword   = password
		newPhoneCode  = code
		importedHash  = "$2y$10$..."
		importedPINMD = "7aef0b22d851caef7800990bf6d4a5dc"
	)
	// README-BEGIN
	err = svc.CreateAccount(ctx, security.NewAccount{UserID: userID, Password: password, Phone: phone, Email: email})
	err = svc.CreateAccount(ctx, security.NewAccount{UserID: userID, PasswordHash: importedHash, // an import
		PayPasswordHash: importedPINMD, PayPasswordSalt: "a1B2c3", PayPasswordScheme: "md5-md5pass-salt"})
	err = svc.CreateAccount(ctx, security.NewAccount{UserID: userID, Phone: phone}) // no password (SMS sign-up)
	err = svc.VerifyPassword(ctx, userID, password)                                 // the host's login
	tok, err = svc.SignIn(ctx, userID, password)                                    // the same, plus a device token
	err = svc.ChangePassword(ctx, userID, oldPassword, newPassword)                 // ErrPasswordNotSet without one
	err = svc.SetPassword(ctx, security.SetPasswordRequest{UserID: userID, Phone: phone, PhoneCode: code,
		NewPassword: newPassword}) // the first password: a code SendPhoneCode sent to the bound phone
	id, err = svc.UserIDByPhone(ctx, phone)                  // the host's own login: any spelling of the number
	id, err = svc.UserIDByEmail(ctx, email)                  // (the answer reveals the account: never show it)
	info, err = svc.Account(ctx, userID)                     // unmasked phone and address: server side only
	err = svc.SendLoginCode(ctx, phone)                      // SMS login (验证码登录); same answer for unknown phones
	id, err = svc.VerifyLoginCode(ctx, phone, code)          // then the host starts id's session
	id, tok, err = svc.SignInWithLoginCode(ctx, phone, code) // the same, plus a device token
	err = svc.SendPhoneCode(ctx, userID, phone)              // bind a new phone, or prove the bound one
	err = svc.BindPhone(ctx, userID, phone, code)            // a first phone
	err = svc.ChangePhone(ctx, security.ChangePhoneRequest{UserID: userID, NewPhone: newPhone,
		NewPhoneCode: newPhoneCode, CurrentPhoneCode: currentCode}) // a code from each phone
	err = svc.SetPayPassword(ctx, userID, pin)
	err = svc.ChangePayPassword(ctx, userID, oldPIN, newPIN)
	err = svc.ResetPayPassword(ctx, security.ResetPayPasswordRequest{UserID: userID, Phone: phone, PhoneCode: code,
		NewPIN: newPIN}) // the new PIN comes with the code
	err = svc.VerifyPayPassword(ctx, userID, pin) // confirm a payment
	payStatus, err = svc.PayPasswordStatus(ctx, userID)
	handle, err = svc.StartForgotPassword(ctx, phone)
	handle, err = svc.VerifyForgotPassword(ctx, handle, code)         // step 1: a new handle
	err = svc.CompleteForgotPassword(ctx, handle, phone, newPassword) // step 2
	err = svc.SendEmailVerification(ctx, userID, email)               // signed in: verifying binds it to userID
	err = svc.VerifyEmailCode(ctx, userID, email, code)
	err = svc.VerifyEmailToken(ctx, userID, token)
	err = svc.SendPublicEmailVerification(ctx, email) // signed out: only to the address as stored on its account
	err = svc.VerifyPublicEmailCode(ctx, email, code)
	err = svc.VerifyPublicEmailToken(ctx, token)
	status, err = svc.Status(ctx, userID)
	err = svc.Unlock(ctx, userID)                           // admin: lift password and PIN locks
	err = svc.UnblockDestination(ctx, userID, phoneOrEmail) // admin: forget failed verifications
	err = svc.AdminRebindPhone(ctx, userID, newPhone)       // admin: customer service's rebinding (申诉换绑)
	err = svc.DeleteAccount(ctx, userID)                    // erasure (PIPL art. 47, GDPR art. 17)
	// README-END
	_, _, _, _, _, _, _ = err, tok, id, handle, info, status, payStatus
}

// TestREADMEGoAPI: README's "Go API" block is goAPI's body, verbatim.
func TestREADMEGoAPI(t *testing.T) {
	src, err := os.ReadFile("readme_test.go")
	require.NoError(t, err)
	_, body, ok := strings.Cut(string(src), "\t// README-BEGIN\n")
	require.True(t, ok)
	body, _, ok = strings.Cut(body, "\t// README-END\n")
	require.True(t, ok)
	var want strings.Builder
	for _, line := range strings.SplitAfter(body, "\n") {
		want.WriteString(strings.TrimPrefix(line, "\t"))
	}
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	require.Contains(t, string(readme), "## Go API\n\n```go\n"+want.String()+"```\n",
		"README's Go API block must be readme_test.go's goAPI body (gofmt-ed, one tab less)")
}
