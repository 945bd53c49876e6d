package notify_test

import (
	"io"
	"net/http"
	"time"

	"github.com/acctsec/security/notify"
)

// A receiver checks every webhook before trusting it.
func ExampleVerifyWebhook() {
	secret := []byte("the shared secret, 16 bytes or more")
	http.HandleFunc("/acctsec", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if err := notify.VerifyWebhook(secret, r.Header.Get(notify.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		// Decode body, drop an "id" already seen, deliver, answer 2xx.
		w.WriteHeader(http.StatusNoContent)
	})
}
