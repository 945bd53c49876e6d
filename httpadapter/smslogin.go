package httpadapter

import (
	"encoding/json"
	"net/http"
)

// pathLoginCode is the addition for signing in with an SMS code (验证码登录):
// GET sends the code, POST checks it. Both are public. They are mounted
// only when Options.OnLogin is set: checking a login code is only half a
// sign-in, and the half that matters, the session, is the host's.
const pathLoginCode = "/web/userservice/security/loginCode"

// loginCodeSendEndpoint answers "200" whether or not an account has the
// phone; only a bound phone is sent the code.
var loginCodeSendEndpoint = endpoint{method: http.MethodGet, name: "login_code_send",
	params: []param{req("phone")}, success: "200", serve: loginCodeSend}

// loginCodeVerifyEndpoint checks the code, hands the user to
// Options.OnLogin, and answers "201" with data {"userId": "..."}.
var loginCodeVerifyEndpoint = endpoint{method: http.MethodPost, name: "login_code_verify",
	params: []param{req("phone"), req("message")}, success: "201", serve: loginCodeVerify}

func loginCodeSend(h *Handler, c *call) error {
	return h.svc.SendLoginCode(c.ctx, c.p.get("phone"))
}

func loginCodeVerify(h *Handler, c *call) error {
	userID, err := h.svc.VerifyLoginCode(c.ctx, c.p.get("phone"), c.p.get("message"))
	if err != nil {
		return err
	}
	// The code is spent: if the host cannot start the session, the user
	// asks for a new one. The hook's error is logged, never shown.
	if err := h.onLogin(c.w, c.r, userID); err != nil {
		return err
	}
	b, err := json.Marshal(struct {
		UserID string `json:"userId"`
	}{userID})
	if err != nil {
		return err
	}
	c.data = b
	return nil
}
