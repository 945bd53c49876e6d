package messages

import "github.com/acctsec/security"

// Hong Kong usage, where it differs from Taiwan's: 短訊 (not 簡訊), 賬戶
// (not 帳戶), 手提電話 (not 手機), 電郵 (not 電子郵件), 身份 (not 身分),
// 更改 (not 變更), 職員, 客戶服務, 保安通知, and the formal 切勿, 亦, 此乃.
// 手提電話 is what Hong Kong banks and shops write in one-time-code
// messages; the government's 流動電話 reads as officialese there.

const hkSupport = `{{if .Support}}客戶服務（{{.Support}}）{{else}}{{.AppName}}客戶服務{{end}}`

var zhHK = localeTexts{
	codes: map[security.Purpose]codeTexts{
		security.PurposeBindPhone: {
			subject: "【{{.AppName}}】綁定手提電話號碼驗證碼",
			action:  "綁定手提電話號碼",
		},
		security.PurposeConfirmPhone: {
			subject: "【{{.AppName}}】身份驗證碼",
			action:  "更改賬戶保安設定（更換已綁定的手提電話、重設支付密碼或設定登入密碼）",
		},
		security.PurposeForgotPassword: {
			subject: "【{{.AppName}}】重設密碼驗證碼",
			action:  "重設登入密碼",
		},
		security.PurposeVerifyEmail: {
			subject: "【{{.AppName}}】請驗證您的電郵地址",
			action:  "驗證電郵地址",
		},
		security.PurposeLoginCode: {
			subject: "【{{.AppName}}】登入驗證碼",
			action:  "登入{{.AppName}}賬戶",
		},
	},
	notices: map[security.Purpose]noticeTexts{
		security.PurposePasswordChanged: {
			subject:  "【{{.AppName}}】登入密碼已更改",
			what:     "您的{{.AppName}}賬戶登入密碼已於 {{.Time}} 更改。",
			ifNotYou: "如非本人操作，請立即透過「忘記密碼」重設登入密碼，並聯絡" + hkSupport + "。",
		},
		security.PurposePasswordReset: {
			subject:  "【{{.AppName}}】登入密碼已重設",
			what:     "您的{{.AppName}}賬戶登入密碼已於 {{.Time}} 透過驗證碼重設。",
			ifNotYou: "如非本人操作，請立即透過「忘記密碼」重設登入密碼，並聯絡" + hkSupport + "。",
		},
		security.PurposePhoneBound: {
			subject:  "【{{.AppName}}】賬戶已綁定手提電話號碼",
			what:     "您的{{.AppName}}賬戶已於 {{.Time}} 綁定手提電話號碼。",
			ifNotYou: "如非本人操作，請立即更改登入密碼，並聯絡" + hkSupport + "。",
		},
		security.PurposePhoneUnbound: {
			subject:  "【{{.AppName}}】賬戶已解除綁定手提電話號碼",
			what:     "您的{{.AppName}}賬戶已於 {{.Time}} 解除手提電話號碼綁定。",
			ifNotYou: "如非本人操作，請立即更改登入密碼，並聯絡" + hkSupport + "。",
		},
		security.PurposePayPasswordSet: {
			subject:  "【{{.AppName}}】支付密碼已設定",
			what:     "您的{{.AppName}}賬戶已於 {{.Time}} 設定支付密碼。",
			ifNotYou: "如非本人操作，請立即更改登入密碼，並聯絡" + hkSupport + "。",
		},
		security.PurposePayPasswordChanged: {
			subject:  "【{{.AppName}}】支付密碼已更改",
			what:     "您的{{.AppName}}賬戶支付密碼已於 {{.Time}} 更改。",
			ifNotYou: "如非本人操作，請立即更改登入密碼，並聯絡" + hkSupport + "。",
		},
		security.PurposePayPasswordReset: {
			subject:  "【{{.AppName}}】支付密碼已重設",
			what:     "您的{{.AppName}}賬戶支付密碼已於 {{.Time}} 重設。",
			ifNotYou: "如非本人操作，請立即更改登入密碼，並聯絡" + hkSupport + "。",
		},
		security.PurposePayPasswordLocked: {
			subject: "【{{.AppName}}】支付密碼已鎖定",
			what: "由於多次輸入錯誤，您的{{.AppName}}賬戶支付密碼已於 {{.Time}} 鎖定，" +
				"{{if .LockedUntil}}將於 {{.LockedUntil}} 自動解鎖。{{else}}須重設支付密碼後方可繼續使用。{{end}}",
			ifNotYou: "如非本人操作，請立即更改登入密碼，並聯絡" + hkSupport + "。",
		},
		security.PurposeEmailVerified: {
			subject:  "【{{.AppName}}】電郵地址已完成驗證",
			what:     "此電郵地址已於 {{.Time}} 完成驗證，並已連結至您的{{.AppName}}賬戶。",
			ifNotYou: "如非本人操作，請立即聯絡" + hkSupport + "。",
		},
	},
	codeSMS:   "【{{.AppName}}】驗證碼：{{.Code}}，用於%action%，{{.TTL}}內有效。切勿向任何人透露，{{.AppName}}職員不會向您索取驗證碼。",
	noticeSMS: "【{{.AppName}}】%what%%ifnotyou%",

	greeting:     "您好：",
	codeIntro:    "您正在{{.AppName}}%action%，驗證碼為：",
	linkIntro:    "您亦可按下方按鈕，即時完成驗證：",
	linkButton:   "驗證電郵地址",
	linkFallback: "如按鈕未能使用，請開啟以下連結：",
	ttl:          "驗證碼{{.TTL}}內有效，只可使用一次。",
	ttlWithLink:  "驗證碼及連結{{.TTL}}內有效，只可使用一次。",
	never:        "切勿將驗證碼告訴任何人。{{.AppName}}職員（包括客戶服務人員）絕不會以電話、短訊、電郵等任何方式向您索取驗證碼。",
	ignore:       "如非本人操作，請忽略此電郵：沒有驗證碼，您的賬戶不會有任何更改。",
	noticeFooter: "此乃系統自動發出的保安通知。{{.AppName}}絕不會向您索取登入密碼、支付密碼或驗證碼。",
	signoff:      "{{.AppName}}團隊",

	fonts:      "-apple-system,Arial,'PingFang HK','PingFang TC','Microsoft JhengHei',sans-serif",
	timeLayout: "2006年1月2日 15:04 MST",
	minute:     unitWords{"分鐘", "分鐘"},
	hour:       unitWords{"小時", "小時"},
	day:        unitWords{"天", "天"},
}
