package security_test

import (
	"context"
	"time"

	security "github.com/acctsec/security"
)

// storeCode stores c with no gates, as PutCode did before it took them.
func storeCode(ctx context.Context, s security.CodeStore, c security.Code) error {
	_, _, err := s.PutCode(ctx, time.Now(), c, nil)
	return err
}
