package storetest

import (
	"context"
	"time"

	security "github.com/acctsec/security"
)

// StoreCode stores c in s with no gates, for a test that needs a code in
// place: PutCode with no gates always stores, and only its error matters.
func StoreCode(ctx context.Context, s security.CodeStore, c security.Code) error {
	_, _, err := s.PutCode(ctx, time.Now(), c, nil)
	return err
}
