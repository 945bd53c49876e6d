package messages

import "github.com/acctsec/security"

const zhSupport = `{{if .Support}}客服（{{.Support}}）{{else}}{{.AppName}}客服{{end}}`

var zhCN = localeTexts{
	codes: map[security.Purpose]codeTexts{
		security.PurposeBindPhone: {
			subject: "【{{.AppName}}】绑定手机号验证码",
			action:  "绑定手机号",
		},
		security.PurposeConfirmPhone: {
			subject: "【{{.AppName}}】身份验证码",
			action:  "进行账户安全操作（更换绑定手机、重置支付密码或设置登录密码）",
		},
		security.PurposeForgotPassword: {
			subject: "【{{.AppName}}】找回密码验证码",
			action:  "找回登录密码",
		},
		security.PurposeVerifyEmail: {
			subject: "【{{.AppName}}】请验证您的邮箱地址",
			action:  "验证邮箱地址",
		},
		security.PurposeLoginCode: {
			subject: "【{{.AppName}}】登录验证码",
			action:  "登录{{.AppName}}账户",
		},
	},
	notices: map[security.Purpose]noticeTexts{
		security.PurposePasswordChanged: {
			subject:  "【{{.AppName}}】登录密码已修改",
			what:     "您的{{.AppName}}账户登录密码已于 {{.Time}} 修改。",
			ifNotYou: "如非本人操作，请立即通过“忘记密码”重置登录密码，并联系" + zhSupport + "。",
		},
		security.PurposePasswordReset: {
			subject:  "【{{.AppName}}】登录密码已重置",
			what:     "您的{{.AppName}}账户登录密码已于 {{.Time}} 通过验证码重置。",
			ifNotYou: "如非本人操作，请立即通过“忘记密码”重置登录密码，并联系" + zhSupport + "。",
		},
		security.PurposePhoneBound: {
			subject:  "【{{.AppName}}】账户已绑定手机号",
			what:     "您的{{.AppName}}账户已于 {{.Time}} 绑定手机号。",
			ifNotYou: "如非本人操作，请立即修改登录密码，并联系" + zhSupport + "。",
		},
		security.PurposePhoneUnbound: {
			subject:  "【{{.AppName}}】账户已解绑手机号",
			what:     "您的{{.AppName}}账户已于 {{.Time}} 解除手机号绑定。",
			ifNotYou: "如非本人操作，请立即修改登录密码，并联系" + zhSupport + "。",
		},
		security.PurposePayPasswordSet: {
			subject:  "【{{.AppName}}】支付密码已设置",
			what:     "您的{{.AppName}}账户已于 {{.Time}} 设置支付密码。",
			ifNotYou: "如非本人操作，请立即修改登录密码，并联系" + zhSupport + "。",
		},
		security.PurposePayPasswordChanged: {
			subject:  "【{{.AppName}}】支付密码已修改",
			what:     "您的{{.AppName}}账户支付密码已于 {{.Time}} 修改。",
			ifNotYou: "如非本人操作，请立即修改登录密码，并联系" + zhSupport + "。",
		},
		security.PurposePayPasswordReset: {
			subject:  "【{{.AppName}}】支付密码已重置",
			what:     "您的{{.AppName}}账户支付密码已于 {{.Time}} 重置。",
			ifNotYou: "如非本人操作，请立即修改登录密码，并联系" + zhSupport + "。",
		},
		security.PurposePayPasswordLocked: {
			subject: "【{{.AppName}}】支付密码已锁定",
			what: "由于多次输入错误，您的{{.AppName}}账户支付密码已于 {{.Time}} 锁定，" +
				"{{if .LockedUntil}}将于 {{.LockedUntil}} 自动解锁。{{else}}重置支付密码后方可继续使用。{{end}}",
			ifNotYou: "如非本人操作，请立即修改登录密码，并联系" + zhSupport + "。",
		},
		security.PurposeEmailVerified: {
			subject:  "【{{.AppName}}】邮箱地址已验证",
			what:     "此邮箱地址已于 {{.Time}} 验证，并关联到您的{{.AppName}}账户。",
			ifNotYou: "如非本人操作，请立即联系" + zhSupport + "。",
		},
	},

	codeSMS:   "【{{.AppName}}】验证码：{{.Code}}，用于%action%，{{.TTL}}内有效。请勿泄露给任何人，{{.AppName}}工作人员不会向您索要验证码。",
	noticeSMS: "【{{.AppName}}】%what%%ifnotyou%",

	greeting:     "您好：",
	codeIntro:    "您正在{{.AppName}}%action%，验证码为：",
	linkIntro:    "您也可以点击以下按钮一键完成验证：",
	linkButton:   "验证邮箱地址",
	linkFallback: "如按钮无法点击，请打开以下链接：",
	ttl:          "验证码{{.TTL}}内有效，仅可使用一次。",
	ttlWithLink:  "验证码和链接{{.TTL}}内有效，仅可使用一次。",
	never:        "请勿将验证码告诉任何人。{{.AppName}}工作人员（包括客服）不会以电话、短信、邮件等任何方式向您索要验证码。",
	ignore:       "如非本人操作，请忽略本邮件：没有验证码，您的账户不会发生任何变更。",
	noticeFooter: "这是一封自动发送的安全通知。{{.AppName}}不会向您索要登录密码、支付密码或验证码。",
	signoff:      "{{.AppName}}团队",

	fonts:      "-apple-system,Arial,'PingFang SC','Microsoft YaHei',sans-serif",
	timeLayout: "2006年1月2日 15:04 MST",
	minute:     unitWords{"分钟", "分钟"},
	hour:       unitWords{"小时", "小时"},
	day:        unitWords{"天", "天"},
}
