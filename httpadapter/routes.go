package httpadapter

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"

	"github.com/acctsec/security"
)

// Paths of the documented API (after PathPrefix).
const (
	pathMember            = "/member/userservice/security"
	pathBindingPhone      = "/member/userservice/security/bindingPhone"
	pathPayPassword       = "/member/userservice/security/payPassword"
	pathResetPayPassword  = "/member/userservice/security/resetPayPassword"
	pathUpdatePayPassword = "/member/userservice/security/updatePayPassword"
	pathStatus            = "/member/userservice/security/status"
	pathForgot            = "/web/userservice/security"
	pathSendMail          = "/web/userservice/security/sendMail"
	pathVerifyMail        = "/web/userservice/security/verifyMail"
)

// param is one parameter an endpoint takes.
type param struct {
	name     string
	required bool
	// confirms names the parameter this one must equal when given
	// (newPasswordSecond confirms newPasswordFirst).
	confirms string
}

// endpoint is one method on one path.
type endpoint struct {
	method string
	name   string // for logs
	// member routes need a signed-in user; optionalUser routes pass one
	// when there is one.
	member, optionalUser bool
	// safe endpoints change nothing a cross-site request could abuse and
	// skip the cross-origin check: the status read, and the email link,
	// which is opened from a mail client.
	safe    bool
	params  []param
	names   []string
	success string
	serve   func(h *Handler, c *call) error
	// validate, when set, checks what the params cannot say alone (which
	// combinations are allowed).
	validate func(p *params) error
	// page, when set, reports whether r is answered with an HTML page
	// rather than the envelope: errors are then answered by failPage.
	page func(r *http.Request) bool
}

// check applies the required and confirmation rules.
func (e *endpoint) check(p *params) error {
	for _, pr := range e.params {
		v := p.get(pr.name)
		if pr.required && v == "" {
			return &argError{kind: argMissing, name: pr.name}
		}
		if pr.confirms != "" && v != "" &&
			subtle.ConstantTimeCompare([]byte(v), []byte(p.get(pr.confirms))) != 1 {
			return &argError{kind: argMismatch, name: pr.name}
		}
	}
	if e.validate != nil {
		return e.validate(p)
	}
	return nil
}

// resource is one path and its endpoints.
type resource struct {
	endpoints  []*endpoint
	allow      string
	noReferrer bool
}

func (r *resource) find(method string) *endpoint {
	for _, e := range r.endpoints {
		if e.method == method {
			return e
		}
	}
	return nil
}

func req(name string) param { return param{name: name, required: true} }
func opt(name string) param { return param{name: name} }
func confirm(name, first string) param {
	return param{name: name, confirms: first}
}

// routeTable builds the documented routes plus the additions.
func routeTable() map[string]*resource {
	m := map[string]*resource{}
	add := func(path string, e endpoint) {
		for _, p := range e.params {
			e.names = append(e.names, p.name)
		}
		r := m[path]
		if r == nil {
			r = &resource{noReferrer: path == pathVerifyMail}
			m[path] = r
		}
		r.endpoints = append(r.endpoints, &e)
		if r.allow != "" {
			r.allow += ", "
		}
		r.allow += e.method
	}
	add(pathMember, endpoint{method: http.MethodGet, name: "send_phone_code", member: true,
		params: []param{req("phone")}, success: "200", serve: sendPhoneCode})
	add(pathMember, endpoint{method: http.MethodPut, name: "change_password", member: true,
		params:  []param{req("oldPassword"), req("newPasswordFirst"), confirm("newPasswordSecond", "newPasswordFirst")},
		success: "201", serve: changePassword})
	add(pathBindingPhone, endpoint{method: http.MethodPut, name: "bind_phone", member: true,
		params: []param{req("message"), req("phone"), opt("oldMessage")}, success: "201", serve: bindPhone})
	add(pathPayPassword, endpoint{method: http.MethodPut, name: "set_pay_password", member: true,
		params:  []param{req("payPasswordFirst"), confirm("payPasswordSecond", "payPasswordFirst")},
		success: "201", serve: setPayPassword})
	add(pathResetPayPassword, endpoint{method: http.MethodPut, name: "reset_pay_password", member: true,
		params: []param{req("phone"), req("message"), req("payPasswordFirst"),
			confirm("payPasswordSecond", "payPasswordFirst")},
		success: "201", serve: resetPayPassword})
	add(pathUpdatePayPassword, endpoint{method: http.MethodPut, name: "update_pay_password", member: true,
		params:  []param{req("oldPassword"), req("payPasswordFirst"), confirm("payPasswordSecond", "payPasswordFirst")},
		success: "201", serve: updatePayPassword})
	add(pathStatus, endpoint{method: http.MethodGet, name: "status", member: true, safe: true,
		success: "200", serve: status})
	add(pathForgot, endpoint{method: http.MethodGet, name: "forgot_start",
		params: []param{req("phone")}, success: "200", serve: forgotStart})
	add(pathForgot, endpoint{method: http.MethodPost, name: "forgot_verify",
		params: []param{req("message")}, success: "201", serve: forgotVerify})
	add(pathForgot, endpoint{method: http.MethodPut, name: "forgot_complete",
		params:  []param{req("phone"), req("passwordFirst"), confirm("passwordSecond", "passwordFirst")},
		success: "201", serve: forgotComplete})
	add(pathSendMail, endpoint{method: http.MethodPost, name: "send_mail", optionalUser: true,
		params: []param{req("email")}, success: "200", serve: sendMail})
	// The link's GET changes nothing (see verifymail.go), so it is safe,
	// and HEAD is the same; the POST spends a token or a code.
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		add(pathVerifyMail, endpoint{method: m, name: "verify_mail_link", safe: true,
			params: []param{req("token")}, success: "200", serve: verifyMailLinkPage, page: wantsPage})
	}
	add(pathVerifyMail, endpoint{method: http.MethodPost, name: "verify_mail", optionalUser: true,
		params: []param{opt("token"), opt("email"), opt("message")}, validate: checkVerifyMailPost,
		success: "201", serve: verifyMailPost, page: postedFromPage})
	add(pathSetPassword, setPasswordEndpoint)
	add(pathLoginCode, loginCodeSendEndpoint) // removed by New without Options.OnLogin
	add(pathLoginCode, loginCodeVerifyEndpoint)
	return m
}

func sendPhoneCode(h *Handler, c *call) error {
	return h.svc.SendPhoneCode(c.ctx, c.userID, c.p.get("phone"))
}

func changePassword(h *Handler, c *call) error {
	return h.svc.ChangePassword(c.ctx, c.userID, c.p.get("oldPassword"), c.p.get("newPasswordFirst"))
}

func bindPhone(h *Handler, c *call) error {
	if old := c.p.get("oldMessage"); old != "" {
		return h.svc.ChangePhone(c.ctx, security.ChangePhoneRequest{UserID: c.userID,
			NewPhone: c.p.get("phone"), NewPhoneCode: c.p.get("message"), CurrentPhoneCode: old})
	}
	return h.svc.BindPhone(c.ctx, c.userID, c.p.get("phone"), c.p.get("message"))
}

func setPayPassword(h *Handler, c *call) error {
	return h.svc.SetPayPassword(c.ctx, c.userID, c.p.get("payPasswordFirst"))
}

func resetPayPassword(h *Handler, c *call) error {
	return h.svc.ResetPayPassword(c.ctx, security.ResetPayPasswordRequest{UserID: c.userID,
		Phone: c.p.get("phone"), PhoneCode: c.p.get("message"), NewPIN: c.p.get("payPasswordFirst")})
}

func updatePayPassword(h *Handler, c *call) error {
	return h.svc.ChangePayPassword(c.ctx, c.userID, c.p.get("oldPassword"), c.p.get("payPasswordFirst"))
}

func status(h *Handler, c *call) error {
	st, err := h.svc.Status(c.ctx, c.userID)
	if err != nil {
		return err
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	c.data = b
	return nil
}

func forgotStart(h *Handler, c *call) error {
	handle, err := h.svc.StartForgotPassword(c.ctx, c.p.get("phone"))
	if err != nil {
		return err
	}
	c.w.Header().Set(FlowHeader, handle)
	http.SetCookie(c.w, h.flowCookie(handle, flowCookieMaxAge))
	return nil
}

// forgotVerify is step 1. The Service verifies the flow under a new handle
// and voids the one the request carried, so the new one replaces it in the
// cookie and the header, as at the start.
func forgotVerify(h *Handler, c *call) error {
	next, err := h.svc.VerifyForgotPassword(c.ctx, h.flowHandle(c.r), c.p.get("message"))
	if err != nil {
		return err
	}
	c.w.Header().Set(FlowHeader, next)
	http.SetCookie(c.w, h.flowCookie(next, flowCookieMaxAge))
	return nil
}

func forgotComplete(h *Handler, c *call) error {
	err := h.svc.CompleteForgotPassword(c.ctx, h.flowHandle(c.r), c.p.get("phone"), c.p.get("passwordFirst"))
	if err != nil {
		return err
	}
	http.SetCookie(c.w, h.flowCookie("", -1))
	return nil
}

// sendMail serves the signed-in and the signed-out request alike.
func sendMail(h *Handler, c *call) error {
	if c.userID == "" {
		return h.svc.SendPublicEmailVerification(c.ctx, c.p.get("email"))
	}
	return h.svc.SendEmailVerification(c.ctx, c.userID, c.p.get("email"))
}
