package security_test

import (
	"context"
	"sync"
	"time"

	security "github.com/acctsec/security"
)

// recordingStore records the names of the store methods called, to show
// two paths do the same store work.
type recordingStore struct {
	security.Store
	mu  sync.Mutex
	log []string
}

func (r *recordingStore) rec(name string) {
	r.mu.Lock()
	r.log = append(r.log, name)
	r.mu.Unlock()
}

func (r *recordingStore) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

func (r *recordingStore) GetAccount(ctx context.Context, id string) (*security.Account, error) {
	r.rec("GetAccount")
	return r.Store.GetAccount(ctx, id)
}

func (r *recordingStore) AccountByPhone(ctx context.Context, p string) (*security.Account, error) {
	r.rec("AccountByPhone")
	return r.Store.AccountByPhone(ctx, p)
}

func (r *recordingStore) AccountByEmail(ctx context.Context, e string) (*security.Account, error) {
	r.rec("AccountByEmail")
	return r.Store.AccountByEmail(ctx, e)
}

func (r *recordingStore) UpdateAccount(ctx context.Context, a *security.Account) error {
	r.rec("UpdateAccount")
	return r.Store.UpdateAccount(ctx, a)
}

func (r *recordingStore) PutCode(ctx context.Context, now time.Time, c security.Code, gates []security.Hit) (bool, []security.Tally, error) {
	r.rec("PutCode")
	return r.Store.PutCode(ctx, now, c, gates)
}

func (r *recordingStore) VerifyCode(ctx context.Context, now time.Time, c security.CodeCheck) (security.CodeResult, []security.Tally, error) {
	r.rec("VerifyCode")
	return r.Store.VerifyCode(ctx, now, c)
}

func (r *recordingStore) PutTicket(ctx context.Context, t security.Ticket) error {
	r.rec("PutTicket")
	return r.Store.PutTicket(ctx, t)
}

func (r *recordingStore) DeleteCode(ctx context.Context, scope string) error {
	r.rec("DeleteCode")
	return r.Store.DeleteCode(ctx, scope)
}

func (r *recordingStore) Count(ctx context.Context, now time.Time, hits []security.Hit) ([]security.Tally, error) {
	r.rec("Count")
	return r.Store.Count(ctx, now, hits)
}
