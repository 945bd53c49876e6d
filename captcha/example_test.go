package captcha_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"

	"github.com/acctsec/security"
	"github.com/acctsec/security/captcha"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/notify"
)

// A captcha before every SMS send, with Aliyun Captcha 2.0, on the HTTP
// API: the client sends the widget's captchaVerifyParam in the
// X-Captcha-Ticket header of the send request.
func Example() {
	verifier, err := captcha.NewAliyun(captcha.AliyunConfig{
		AccessKeyID:     os.Getenv("ALIYUN_ACCESS_KEY_ID"),
		AccessKeySecret: os.Getenv("ALIYUN_ACCESS_KEY_SECRET"),
		SceneID:         os.Getenv("ALIYUN_CAPTCHA_SCENE_ID"),
	})
	if err != nil {
		log.Fatal(err)
	}
	veto, err := captcha.Veto(verifier, captcha.Options{
		OnError: func(ctx context.Context, _ security.SendRequest, err error) {
			slog.ErrorContext(ctx, "captcha provider failed; SMS sends are refused", "error", err)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	store := memstore.New()
	defer store.Close()
	svc, err := security.New(store, notify.Stdout(), security.Config{
		Secret:   []byte(os.Getenv("ACCTSEC_SECRET")),
		SendVeto: veto,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close(context.Background())

	// The adapter unchanged, with the ticket moved from the headers into
	// the context in front of it.
	h := captcha.FromRequest(captcha.Headers{})(httpadapter.New(svc, httpadapter.Options{ /* UserID: your session layer */ }))
	mux := http.NewServeMux()
	for _, p := range []string{"/member/userservice/security", "/member/userservice/security/", "/web/userservice/security", "/web/userservice/security/"} {
		mux.Handle(p, h)
	}
}

// What a send gets from the veto, here with a stand-in verifier that
// passes one ticket only.
func ExampleVeto() {
	v := captcha.VerifierFunc(func(_ context.Context, t captcha.Ticket, _ string) error {
		if t.Value == "solved" {
			return nil
		}
		return captcha.ErrRejected
	})
	veto, err := captcha.Veto(v, captcha.Options{})
	if err != nil {
		log.Fatal(err)
	}
	req := security.SendRequest{Channel: security.ChannelSMS, To: "+8613800138000", Purpose: security.PurposeBindPhone}
	for _, ctx := range []context.Context{
		context.Background(),
		captcha.WithTicket(context.Background(), captcha.Ticket{Value: "guessed"}),
		captcha.WithTicket(context.Background(), captcha.Ticket{Value: "solved"}),
	} {
		err := veto(ctx, req)
		fmt.Println(err, errors.Is(err, security.ErrSendRefused))
	}
	// Output:
	// captcha: ticket required: security: send refused true
	// captcha: ticket rejected: security: send refused true
	// <nil> false
}
