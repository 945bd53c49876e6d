package messages

import "github.com/acctsec/security"

// Taiwan usage: 簡訊, 帳戶, 手機號碼, 電子郵件, 登入, 重設, 設定, 變更, 身分,
// 連結, 點選, 透過, 索取, and 「」 quotation marks.

const twSupport = `{{if .Support}}客服（{{.Support}}）{{else}}{{.AppName}}客服{{end}}`

var zhTW = localeTexts{
	codes: map[security.Purpose]codeTexts{
		security.PurposeBindPhone: {
			subject: "【{{.AppName}}】綁定手機號碼驗證碼",
			action:  "綁定手機號碼",
		},
		security.PurposeConfirmPhone: {
			subject: "【{{.AppName}}】身分驗證碼",
			action:  "進行帳戶安全操作（更換綁定手機、重設支付密碼或設定登入密碼）",
		},
		security.PurposeForgotPassword: {
			subject: "【{{.AppName}}】重設密碼驗證碼",
			action:  "重設登入密碼",
		},
		security.PurposeVerifyEmail: {
			subject: "【{{.AppName}}】請驗證您的電子郵件地址",
			action:  "驗證電子郵件地址",
		},
		security.PurposeLoginCode: {
			subject: "【{{.AppName}}】登入驗證碼",
			action:  "登入{{.AppName}}帳戶",
		},
	},
	notices: map[security.Purpose]noticeTexts{
		security.PurposePasswordChanged: {
			subject:  "【{{.AppName}}】登入密碼已變更",
			what:     "您的{{.AppName}}帳戶登入密碼已於 {{.Time}} 變更。",
			ifNotYou: "如非本人操作，請立即透過「忘記密碼」重設登入密碼，並聯絡" + twSupport + "。",
		},
		security.PurposePasswordReset: {
			subject:  "【{{.AppName}}】登入密碼已重設",
			what:     "您的{{.AppName}}帳戶登入密碼已於 {{.Time}} 透過驗證碼重設。",
			ifNotYou: "如非本人操作，請立即透過「忘記密碼」重設登入密碼，並聯絡" + twSupport + "。",
		},
		security.PurposePhoneBound: {
			subject:  "【{{.AppName}}】帳戶已綁定手機號碼",
			what:     "您的{{.AppName}}帳戶已於 {{.Time}} 綁定手機號碼。",
			ifNotYou: "如非本人操作，請立即變更登入密碼，並聯絡" + twSupport + "。",
		},
		security.PurposePhoneUnbound: {
			subject:  "【{{.AppName}}】帳戶已解除綁定手機號碼",
			what:     "您的{{.AppName}}帳戶已於 {{.Time}} 解除手機號碼綁定。",
			ifNotYou: "如非本人操作，請立即變更登入密碼，並聯絡" + twSupport + "。",
		},
		security.PurposePayPasswordSet: {
			subject:  "【{{.AppName}}】支付密碼已設定",
			what:     "您的{{.AppName}}帳戶已於 {{.Time}} 設定支付密碼。",
			ifNotYou: "如非本人操作，請立即變更登入密碼，並聯絡" + twSupport + "。",
		},
		security.PurposePayPasswordChanged: {
			subject:  "【{{.AppName}}】支付密碼已變更",
			what:     "您的{{.AppName}}帳戶支付密碼已於 {{.Time}} 變更。",
			ifNotYou: "如非本人操作，請立即變更登入密碼，並聯絡" + twSupport + "。",
		},
		security.PurposePayPasswordReset: {
			subject:  "【{{.AppName}}】支付密碼已重設",
			what:     "您的{{.AppName}}帳戶支付密碼已於 {{.Time}} 重設。",
			ifNotYou: "如非本人操作，請立即變更登入密碼，並聯絡" + twSupport + "。",
		},
		security.PurposePayPasswordLocked: {
			subject: "【{{.AppName}}】支付密碼已鎖定",
			what: "由於多次輸入錯誤，您的{{.AppName}}帳戶支付密碼已於 {{.Time}} 鎖定，" +
				"{{if .LockedUntil}}將於 {{.LockedUntil}} 自動解鎖。{{else}}重設支付密碼後才能繼續使用。{{end}}",
			ifNotYou: "如非本人操作，請立即變更登入密碼，並聯絡" + twSupport + "。",
		},
		security.PurposeEmailVerified: {
			subject:  "【{{.AppName}}】電子郵件地址已完成驗證",
			what:     "此電子郵件地址已於 {{.Time}} 完成驗證，並已連結至您的{{.AppName}}帳戶。",
			ifNotYou: "如非本人操作，請立即聯絡" + twSupport + "。",
		},
	},
	codeSMS:   "【{{.AppName}}】驗證碼：{{.Code}}，用於%action%，{{.TTL}}內有效。請勿透露給任何人，{{.AppName}}工作人員不會向您索取驗證碼。",
	noticeSMS: "【{{.AppName}}】%what%%ifnotyou%",

	greeting:     "您好：",
	codeIntro:    "您正在{{.AppName}}%action%，驗證碼為：",
	linkIntro:    "您也可以點選下方按鈕，一鍵完成驗證：",
	linkButton:   "驗證電子郵件地址",
	linkFallback: "如無法點選按鈕，請開啟以下連結：",
	ttl:          "驗證碼{{.TTL}}內有效，僅能使用一次。",
	ttlWithLink:  "驗證碼與連結{{.TTL}}內有效，僅能使用一次。",
	never:        "請勿將驗證碼告訴任何人。{{.AppName}}工作人員（包括客服）絕不會以電話、簡訊、電子郵件等任何方式向您索取驗證碼。",
	ignore:       "如非本人操作，請忽略此郵件：沒有驗證碼，您的帳戶不會有任何變更。",
	noticeFooter: "這是系統自動寄送的安全通知。{{.AppName}}絕不會向您索取登入密碼、支付密碼或驗證碼。",
	signoff:      "{{.AppName}}團隊",

	fonts:      "-apple-system,Arial,'PingFang TC','Microsoft JhengHei',sans-serif",
	timeLayout: "2006年1月2日 15:04 MST",
	minute:     unitWords{"分鐘", "分鐘"},
	hour:       unitWords{"小時", "小時"},
	day:        unitWords{"天", "天"},
}
