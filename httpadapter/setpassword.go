package httpadapter

import (
	"net/http"

	"github.com/acctsec/security"
)

// pathSetPassword is the addition that sets the first login password of an
// account created without one (an SMS or WeChat sign-up). The documented
// change-password route, PUT pathMember, keeps its parameters: it needs
// the old password, which such an account does not have (it answers "409"
// password_not_set).
const pathSetPassword = "/member/userservice/security/setPassword"

// setPasswordEndpoint takes the bound phone, the code that the send route
// (GET pathMember) sent to it, and the new password twice.
var setPasswordEndpoint = endpoint{method: http.MethodPut, name: "set_password", member: true,
	params:  []param{req("phone"), req("message"), req("passwordFirst"), confirm("passwordSecond", "passwordFirst")},
	success: "201", serve: setPassword}

func setPassword(h *Handler, c *call) error {
	return h.svc.SetPassword(c.ctx, security.SetPasswordRequest{UserID: c.userID,
		Phone: c.p.get("phone"), PhoneCode: c.p.get("message"), NewPassword: c.p.get("passwordFirst")})
}
