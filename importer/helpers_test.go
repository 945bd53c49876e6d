package importer_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/importer"
	"github.com/acctsec/security/memstore"
)

var bg = context.Background()

// Vectors from the tools that define the formats (passhash/testdata):
// htpasswd -nbB -C 4, and the Discuz!/ECShop md5(md5(password) + salt)
// computed with openssl dgst.
const (
	bcryptPassword = "$2y$04$JAVw00Dtroq0Xq23hXe.7OTcVqfz5ZfzqzhZSeVMayNA6A7CY9iYm" // "password"
	bcryptUnicode  = "$2y$04$po/46vP732lf7WPreCgEq.5PRk3VgURwVk5V/JWT6C10bZ5uk/vvy" // pässwörd密码
	discuzDigest   = "f678f0f5cc52bc5b6963a17eb945d4e8"                             // md5(md5("password") + "a1B2c3")
	discuzSalt     = "a1B2c3"
	discuzPIN      = "7aef0b22d851caef7800990bf6d4a5dc" // md5(md5("123456") + "a1B2c3")
)

type env struct {
	svc   *security.Service
	store *memstore.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	svc, err := security.New(store, security.NotifierFunc(func(context.Context, security.Message) error { return nil }),
		security.Config{Secret: secret})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close(bg) })
	return &env{svc: svc, store: store}
}

// run imports input into e's store and returns the summary and refusals.
func (e *env) run(t *testing.T, input string, opt importer.Options) (importer.Summary, []importer.Refusal, error) {
	t.Helper()
	var refusals []importer.Refusal
	opt.Report = func(r importer.Refusal) { refusals = append(refusals, r) }
	sum, err := importer.Run(bg, e.svc, strings.NewReader(input), importer.StoreSink{Store: e.store}, opt)
	return sum, refusals, err
}

type lineReason struct {
	Line   int
	Reason string
}

func reasons(rs []importer.Refusal) []lineReason {
	out := make([]lineReason, len(rs))
	for i, r := range rs {
		out[i] = lineReason{r.Line, r.Reason}
	}
	return out
}
