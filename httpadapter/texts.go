package httpadapter

import (
	"strconv"
	"strings"
	"time"

	"github.com/acctsec/security/messages"
)

// lang is the language of a response's msg, matched once per request from
// Accept-Language. A new language is a new constant, a case in langOf and
// in text.in, and a field in text: no signature changes.
type lang uint8

const (
	langEn   lang = iota
	langZhCN      // Simplified Chinese
	langZhTW      // Traditional Chinese, Taiwan usage
	langZhHK      // Traditional Chinese, Hong Kong usage
)

// langOf maps a locale of the messages package ("" included) to the
// language of msg; anything but a Chinese locale is English.
func langOf(locale string) lang {
	switch locale {
	case messages.LocaleZhCN:
		return langZhCN
	case messages.LocaleZhTW:
		return langZhTW
	case messages.LocaleZhHK:
		return langZhHK
	}
	return langEn
}

// text is one human sentence in every supported language. zhHK is set only
// where Hong Kong usage differs from Taiwan's (短訊, 賬戶, 手提電話, 電郵);
// empty, it is zhTW.
type text struct{ en, zhCN, zhTW, zhHK string }

func (t text) in(l lang) string {
	switch l {
	case langZhCN:
		return t.zhCN
	case langZhTW:
		return t.zhTW
	case langZhHK:
		if t.zhHK != "" {
			return t.zhHK
		}
		return t.zhTW
	}
	return t.en
}

// texts holds the msg of every data key. Keys are the stable data values of
// the envelope; msg is for people and may change.
var texts = map[string]text{
	"success": {en: "success", zhCN: "success", zhTW: "success"},
	"invalid_argument": {en: "A parameter is missing or malformed.",
		zhCN: "参数缺失或格式错误。", zhTW: "缺少參數或參數格式錯誤。"},
	"invalid_phone": {en: "The phone number is not valid.",
		zhCN: "手机号无效。", zhTW: "手機號碼無效。", zhHK: "手提電話號碼無效。"},
	"invalid_email": {en: "The email address is not valid.",
		zhCN: "邮箱地址无效。", zhTW: "電子郵件地址無效。", zhHK: "電郵地址無效。"},
	"invalid_code": {en: "The verification code is wrong or has expired.",
		zhCN: "验证码错误或已失效。", zhTW: "驗證碼錯誤或已失效。"},
	"unauthenticated": {en: "Please sign in first.",
		zhCN: "请先登录。", zhTW: "請先登入。"},
	"wrong_password": {en: "The password is wrong.",
		zhCN: "密码错误。", zhTW: "密碼錯誤。"},
	"wrong_pay_password": {en: "The pay password is wrong.",
		zhCN: "支付密码错误。", zhTW: "支付密碼錯誤。"},
	"phone_mismatch": {en: "The phone number is not the one bound to this account.",
		zhCN: "手机号与账户绑定的手机号不一致。", zhTW: "手機號碼與帳戶綁定的手機號碼不一致。",
		zhHK: "手提電話號碼與賬戶綁定的號碼不一致。"},
	"phone_proof_required": {en: "To change your phone, also enter the code sent to the phone bound now.",
		zhCN: "更换手机号需同时填写发送到当前绑定手机的验证码。", zhTW: "更換手機號碼時，須同時填寫傳送至目前綁定手機的驗證碼。",
		zhHK: "更換手提電話號碼時，須同時填寫發送至現時綁定手提電話的驗證碼。"},
	"send_refused": {en: "Sending a code was refused; please complete the extra check first.",
		zhCN: "验证码发送被拒绝，请先完成额外验证。", zhTW: "驗證碼傳送遭拒，請先完成額外驗證。",
		zhHK: "驗證碼發送被拒，請先完成額外驗證。"},
	"flow_required": {en: "Please start the password recovery again and verify the SMS code first.",
		zhCN: "请重新发起找回密码并先验证短信验证码。", zhTW: "請重新操作「忘記密碼」，並先驗證簡訊驗證碼。",
		zhHK: "請重新操作「忘記密碼」，並先驗證短訊驗證碼。"},
	"not_found": {en: "Not found.",
		zhCN: "接口不存在。", zhTW: "找不到此 API。"},
	"method_not_allowed": {en: "Method not allowed.",
		zhCN: "不支持该请求方式。", zhTW: "不支援此請求方法。"},
	"phone_taken": {en: "This phone number is bound to another account.",
		zhCN: "该手机号已绑定其他账户。", zhTW: "此手機號碼已綁定其他帳戶。", zhHK: "此手提電話號碼已綁定其他賬戶。"},
	"email_taken": {en: "This email address belongs to another account.",
		zhCN: "该邮箱已被其他账户使用。", zhTW: "此電子郵件地址已被其他帳戶使用。", zhHK: "此電郵地址已被其他賬戶使用。"},
	"account_exists": {en: "The account already exists.",
		zhCN: "账户已存在。", zhTW: "帳戶已存在。", zhHK: "賬戶已存在。"},
	"pay_password_set": {en: "A pay password is already set.",
		zhCN: "已设置支付密码。", zhTW: "已設定支付密碼。"},
	"pay_password_not_set": {en: "No pay password is set.",
		zhCN: "尚未设置支付密码。", zhTW: "尚未設定支付密碼。"},
	"password_set": {en: "A login password is already set.",
		zhCN: "已设置登录密码。", zhTW: "已設定登入密碼。"},
	"password_not_set": {en: "No login password is set yet; set one with a code sent to your phone.",
		zhCN: "尚未设置登录密码，请通过手机验证码设置。", zhTW: "尚未設定登入密碼，請透過手機驗證碼設定。",
		zhHK: "尚未設定登入密碼，請透過手提電話驗證碼設定。"},
	"body_too_large": {en: "The request is too large.",
		zhCN: "请求内容过大。", zhTW: "請求內容過大。"},
	"weak_password": {en: "This password is not allowed; choose another.",
		zhCN: "该密码不可用，请更换。", zhTW: "此密碼無法使用，請改用其他密碼。", zhHK: "此密碼不可使用，請改用其他密碼。"},
	"weak_pay_password": {en: "This pay password is not allowed; choose another.",
		zhCN: "该支付密码不可用，请更换。", zhTW: "此支付密碼無法使用，請改用其他密碼。", zhHK: "此支付密碼不可使用，請改用其他密碼。"},
	"locked": {en: "Too many wrong tries; locked until a reset.",
		zhCN: "错误次数过多，已锁定，需重置后才能使用。", zhTW: "錯誤次數過多，已鎖定，須重設後才能使用。",
		zhHK: "錯誤次數過多，已鎖定，須重設後方可使用。"},
	"rate_limited": {en: "Too many requests; please try again later.",
		zhCN: "请求过于频繁，请稍后再试。", zhTW: "請求過於頻繁，請稍後再試。"},
	"too_many_attempts": {en: "Too many wrong tries; please request a new code.",
		zhCN: "错误次数过多，请重新获取验证码。", zhTW: "錯誤次數過多，請重新取得驗證碼。", zhHK: "錯誤次數過多，請重新索取驗證碼。"},
	"delivery_failed": {en: "The message could not be sent; please try again later.",
		zhCN: "消息发送失败，请稍后再试。", zhTW: "訊息傳送失敗，請稍後再試。", zhHK: "訊息發送失敗，請稍後再試。"},
	"internal": {en: "Internal error.",
		zhCN: "系统错误。", zhTW: "系統錯誤。"},
	"unavailable": {en: "The service is busy; please try again.",
		zhCN: "服务繁忙，请重试。", zhTW: "服務忙碌中，請重試。", zhHK: "服務繁忙，請重試。"},
	"no_account": {en: "This account has no security record.",
		zhCN: "该账户没有安全信息记录。", zhTW: "此帳戶沒有安全資訊紀錄。", zhHK: "此賬戶沒有保安資料記錄。"},
	"cross_origin": {en: "Cross-origin request refused.",
		zhCN: "拒绝跨站请求。", zhTW: "拒絕跨站請求。"},
}

// argTexts refine invalid_argument. The texts of argUnknown, argMissing and
// argMismatch are followed by a parameter name.
var argTexts = [...]text{
	argMalformed: {en: "The request parameters are malformed.",
		zhCN: "请求参数格式错误。", zhTW: "請求參數格式錯誤。"},
	argUnknown: {en: "Unknown parameter: ",
		zhCN: "未知参数：", zhTW: "未知參數："},
	argDuplicate: {en: "A parameter was given more than once.",
		zhCN: "参数重复。", zhTW: "參數重複。"},
	argMissing: {en: "Missing required parameter: ",
		zhCN: "缺少必填参数：", zhTW: "缺少必填參數："},
	argMismatch: {en: "The confirmation does not match: ",
		zhCN: "两次输入不一致：", zhTW: "兩次輸入不一致："},
	argContentType: {en: "Unsupported content type; send a query string, a form, a multipart form or a JSON object.",
		zhCN: "不支持的内容类型，请使用查询参数、表单、multipart 表单或 JSON 对象。",
		zhTW: "不支援此內容類型，請使用查詢參數、表單、multipart 表單或 JSON 物件。"},
}

// argUnknownNoName is the msg of an unknown parameter whose name is not
// shown (see shownName).
var argUnknownNoName = text{en: "The request has a parameter this route does not take.",
	zhCN: "请求包含本接口不接受的参数。", zhTW: "請求包含此 API 不接受的參數。"}

func argText(e *argError, l lang) string {
	if e.kind == argUnknown {
		name, ok := shownName(e.name)
		if !ok {
			return argUnknownNoName.in(l)
		}
		return argTexts[argUnknown].in(l) + name
	}
	return argTexts[e.kind].in(l) + e.name
}

// maxShownName bounds the unknown parameter name a msg repeats.
const maxShownName = 64

// shownName returns the request's unknown parameter name quoted for msg,
// when it is at most maxShownName bytes of ASCII letters, digits and
// "_-.[]" (every name gateways and CSRF middleware use). Other names are
// not repeated: a client that shows msg unescaped must not get markup, or
// a long string, from whoever chose the name.
func shownName(name string) (string, bool) {
	if name == "" || len(name) > maxShownName {
		return "", false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '-' || c == '.' || c == '[' || c == ']') {
			return "", false
		}
	}
	return strconv.Quote(name), true
}

// policyTexts explain a *security.PolicyError by its Reason.
var policyTexts = map[string]text{
	"too_short": {en: "The password is too short.",
		zhCN: "密码太短。", zhTW: "密碼太短。"},
	"too_long": {en: "The password is too long.",
		zhCN: "密码太长。", zhTW: "密碼太長。"},
	"common": {en: "This choice is too common; choose another.",
		zhCN: "该密码过于常见，请更换。", zhTW: "此密碼過於常見，請改用其他密碼。"},
	"context": {en: "The password must not contain your phone number, email address or user ID.",
		zhCN: "密码不能包含手机号、邮箱或用户名。", zhTW: "密碼不得包含手機號碼、電子郵件地址或使用者名稱。",
		zhHK: "密碼不可包含手提電話號碼、電郵地址或用戶名稱。"},
	"same_as_current": {en: "The new password must differ from the current one.",
		zhCN: "新密码不能与当前密码相同。", zhTW: "新密碼不得與目前的密碼相同。", zhHK: "新密碼不可與現有密碼相同。"},
	"repetitive": {en: "Too repetitive: no character or short group repeated (aaaaaa, 121212, 123123), no doubled or tripled digits (112233, 111222), and nothing that reads the same backwards (123321).",
		zhCN: "重复性过强：不能是同一字符或一小组字符的重复（如 aaaaaa、121212、123123），不能是成对或成组的相同数字（如 112233、111222），也不能前后对称（如 123321）。",
		zhTW: "重複性過高：不得為同一字元或一小組字元的重複（如 aaaaaa、121212、123123），不得為成對或成組的相同數字（如 112233、111222），也不得前後對稱（如 123321）。",
		zhHK: "重複性過高：不可為同一字元或一小組字元的重複（如 aaaaaa、121212、123123），不可為成對或成組的相同數字（如 112233、111222），也不可前後對稱（如 123321）。"},
	"sequence": {en: "The pay password must not be a run of consecutive digits.",
		zhCN: "支付密码不能是连续数字。", zhTW: "支付密碼不得為連續數字。", zhHK: "支付密碼不可為連續數字。"},
	"format": {en: "The pay password must be exactly 6 digits.",
		zhCN: "支付密码必须是6位数字。", zhTW: "支付密碼必須為6位數字。"},
	"same_as_login": {en: "The pay password must differ from the login password.",
		zhCN: "支付密码不能与登录密码相同。", zhTW: "支付密碼不得與登入密碼相同。", zhHK: "支付密碼不可與登入密碼相同。"},
	"breached": {en: "This password has appeared in a data breach; choose another.",
		zhCN: "该密码已在数据泄露中出现，请更换。", zhTW: "此密碼曾出現在外洩的資料中，請改用其他密碼。",
		zhHK: "此密碼曾在資料外洩事故中出現，請改用其他密碼。"},
	"check_failed": {en: "The password could not be checked; please try again.",
		zhCN: "暂时无法检查密码，请重试。", zhTW: "暫時無法檢查密碼，請重試。"},
}

// utc8 is the local time of mainland China, Taiwan and Hong Kong alike
// (UTC+8, no daylight saving time in any of them since 1991).
var utc8 = time.FixedZone("UTC+8", 8*3600)

// lockedUntilText is "locked until <time>" in each language: before and
// after the time, which zh-* readers get in their own UTC+8 clock.
var lockedUntilText = text{en: "Too many wrong tries; locked until ",
	zhCN: "错误次数过多，已锁定至 ", zhTW: "錯誤次數過多，已鎖定至 "}

// zoneNames name UTC+8 as each Chinese locale's readers call it.
var zoneNames = text{zhCN: "（北京时间）。", zhTW: "（台灣時間）。", zhHK: "（香港時間）。"}

func lockedText(until time.Time, l lang) string {
	if until.IsZero() {
		return texts["locked"].in(l)
	}
	var b strings.Builder
	b.WriteString(lockedUntilText.in(l))
	if l == langEn {
		b.WriteString(until.UTC().Format(time.RFC3339))
		b.WriteString(".")
	} else {
		b.WriteString(until.In(utc8).Format("2006-01-02 15:04:05"))
		b.WriteString(zoneNames.in(l))
	}
	return b.String()
}
