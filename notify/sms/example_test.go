package sms_test

import (
	"os"

	"github.com/acctsec/security"
	"github.com/acctsec/security/notify"
	"github.com/acctsec/security/notify/sms"
)

func ExampleNewTencent() {
	tencent, err := sms.NewTencent(sms.TencentConfig{
		SecretID:    os.Getenv("TENCENTCLOUD_SECRET_ID"),
		SecretKey:   os.Getenv("TENCENTCLOUD_SECRET_KEY"),
		SmsSdkAppID: "1400006666",
		SignName:    "腾讯云",
		Templates: map[security.Purpose]sms.Template{
			security.PurposeBindPhone:      {ID: "1110", Params: []string{"code", "minutes"}},
			security.PurposeConfirmPhone:   {ID: "1111", Params: []string{"code", "minutes"}},
			security.PurposeForgotPassword: {ID: "1112", Params: []string{"code", "minutes"}},
		},
	})
	if err != nil {
		panic(err)
	}
	// Codes by SMS; notices, which have no template here, by email only.
	_ = notify.Router{
		SMS:   tencent,
		Email: notify.Stdout(),
		Purposes: map[security.Purpose]security.Notifier{
			security.PurposePasswordChanged: notify.Router{SMS: notify.Discard, Email: notify.Stdout()},
		},
	}
}
