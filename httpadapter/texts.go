package httpadapter

import (
	"strings"
	"time"
)

// text is one human sentence in both supported languages.
type text struct{ en, zh string }

func (t text) in(zh bool) string {
	if zh {
		return t.zh
	}
	return t.en
}

// texts holds the msg of every data key. Keys are the stable data values of
// the envelope; msg is for people and may change.
var texts = map[string]text{
	"success":              {"success", "success"},
	"invalid_argument":     {"A parameter is missing or malformed.", "参数缺失或格式错误。"},
	"invalid_phone":        {"The phone number is not valid.", "手机号无效。"},
	"invalid_email":        {"The email address is not valid.", "邮箱地址无效。"},
	"invalid_code":         {"The verification code is wrong or has expired.", "验证码错误或已失效。"},
	"unauthenticated":      {"Please sign in first.", "请先登录。"},
	"wrong_password":       {"The password is wrong.", "密码错误。"},
	"wrong_pay_password":   {"The pay password is wrong.", "支付密码错误。"},
	"phone_mismatch":       {"The phone number is not the one bound to this account.", "手机号与账户绑定的手机号不一致。"},
	"phone_proof_required": {"To change your phone, also enter the code sent to the phone bound now.", "更换手机号需同时填写发送到当前绑定手机的验证码。"},
	"send_refused":         {"Sending a code was refused; please complete the extra check first.", "验证码发送被拒绝，请先完成额外验证。"},
	"flow_required":        {"Please start the password recovery again and verify the SMS code first.", "请重新发起找回密码并先验证短信验证码。"},
	"not_found":            {"Not found.", "接口不存在。"},
	"method_not_allowed":   {"Method not allowed.", "不支持该请求方式。"},
	"phone_taken":          {"This phone number is bound to another account.", "该手机号已绑定其他账户。"},
	"email_taken":          {"This email address belongs to another account.", "该邮箱已被其他账户使用。"},
	"account_exists":       {"The account already exists.", "账户已存在。"},
	"pay_password_set":     {"A pay password is already set.", "已设置支付密码。"},
	"pay_password_not_set": {"No pay password is set.", "尚未设置支付密码。"},
	"password_set":         {"A login password is already set.", "已设置登录密码。"},
	"password_not_set":     {"No login password is set yet; set one with a code sent to your phone.", "尚未设置登录密码，请通过手机验证码设置。"},
	"body_too_large":       {"The request is too large.", "请求内容过大。"},
	"weak_password":        {"This password is not allowed; choose another.", "该密码不可用，请更换。"},
	"weak_pay_password":    {"This pay password is not allowed; choose another.", "该支付密码不可用，请更换。"},
	"locked":               {"Too many wrong tries; locked until a reset.", "错误次数过多，已锁定，需重置后才能使用。"},
	"rate_limited":         {"Too many requests; please try again later.", "请求过于频繁，请稍后再试。"},
	"too_many_attempts":    {"Too many wrong tries; please request a new code.", "错误次数过多，请重新获取验证码。"},
	"delivery_failed":      {"The message could not be sent; please try again later.", "消息发送失败，请稍后再试。"},
	"internal":             {"Internal error.", "系统错误。"},
	"unavailable":          {"The service is busy; please try again.", "服务繁忙，请重试。"},
	"no_account":           {"This account has no security record.", "该账户没有安全信息记录。"},
	"cross_origin":         {"Cross-origin request refused.", "拒绝跨站请求。"},
}

// argTexts refine invalid_argument.
var argTexts = [...]text{
	argMalformed:   {"The request parameters are malformed.", "请求参数格式错误。"},
	argUnknown:     {"The request has a parameter this route does not take.", "请求包含本接口不接受的参数。"},
	argDuplicate:   {"A parameter was given more than once.", "参数重复。"},
	argMissing:     {"Missing required parameter: ", "缺少必填参数："},
	argMismatch:    {"The confirmation does not match: ", "两次输入不一致："},
	argContentType: {"Unsupported content type; send a query string, a form, a multipart form or a JSON object.", "不支持的内容类型，请使用查询参数、表单、multipart 表单或 JSON 对象。"},
}

func argText(e *argError, zh bool) string {
	s := argTexts[e.kind].in(zh)
	if e.name != "" {
		s += e.name
	}
	return s
}

// policyTexts explain a *security.PolicyError by its Reason.
var policyTexts = map[string]text{
	"too_short":       {"The password is too short.", "密码太短。"},
	"too_long":        {"The password is too long.", "密码太长。"},
	"common":          {"This choice is too common; choose another.", "该密码过于常见，请更换。"},
	"context":         {"The password must not contain your phone number, email address or user ID.", "密码不能包含手机号、邮箱或用户名。"},
	"same_as_current": {"The new password must differ from the current one.", "新密码不能与当前密码相同。"},
	"repetitive":      {"The pay password must not be one repeated digit.", "支付密码不能是同一个数字重复。"},
	"sequence":        {"The pay password must not be a run of consecutive digits.", "支付密码不能是连续数字。"},
	"format":          {"The pay password must be exactly 6 digits.", "支付密码必须是6位数字。"},
	"same_as_login":   {"The pay password must differ from the login password.", "支付密码不能与登录密码相同。"},
	"breached":        {"This password has appeared in a data breach; choose another.", "该密码已在数据泄露中出现，请更换。"},
	"check_failed":    {"The password could not be checked; please try again.", "暂时无法检查密码，请重试。"},
}

// chinaTime is the zone zh-CN readers expect (UTC+8, no DST).
var chinaTime = time.FixedZone("CST", 8*3600)

func lockedText(until time.Time, zh bool) string {
	if until.IsZero() {
		return texts["locked"].in(zh)
	}
	var b strings.Builder
	if zh {
		b.WriteString("错误次数过多，已锁定至 ")
		b.WriteString(until.In(chinaTime).Format("2006-01-02 15:04:05"))
		b.WriteString("（北京时间）。")
	} else {
		b.WriteString("Too many wrong tries; locked until ")
		b.WriteString(until.UTC().Format(time.RFC3339))
		b.WriteString(".")
	}
	return b.String()
}
