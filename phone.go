package security

import (
	"errors"
	"fmt"
	"strings"

	"github.com/acctsec/security/internal/phonenum"
)

// Phone is a normalised phone number.
type Phone struct {
	// E164 is the number in E.164 form, e.g. "+8613800138000".
	E164 string
	// CallingCode is its country calling code without "+", e.g. "86".
	CallingCode string
}

// PhoneNormalizer turns what a user typed into one canonical number, so that
// every throttle, lookup and uniqueness check sees one key per phone.
// Implementations return an error wrapping ErrInvalidPhone for input that is
// not a valid number.
type PhoneNormalizer interface {
	Normalize(raw string) (Phone, error)
}

// NewPhoneNormalizer returns the built-in normaliser, which reads national
// numbers in defaultRegion (an ISO 3166 code such as "CN") and international
// ones ("+852 ...", "00852...") anywhere. It validates mainland China mobile
// numbers exactly and other numbers by length only; plug a full
// libphonenumber port through Config.Phones where that matters.
func NewPhoneNormalizer(defaultRegion string) (PhoneNormalizer, error) {
	region := strings.ToUpper(defaultRegion)
	if _, ok := phonenum.CallingCode(region); !ok {
		return nil, fmt.Errorf("security: unknown region %q", defaultRegion)
	}
	return builtinPhones{region}, nil
}

type builtinPhones struct{ region string }

func (b builtinPhones) Normalize(raw string) (Phone, error) {
	e164, cc, err := phonenum.Parse(raw, b.region)
	if err != nil {
		return Phone{}, fmt.Errorf("%w: %w", ErrInvalidPhone, err)
	}
	return Phone{E164: e164, CallingCode: cc}, nil
}

func callingCode(region string) (string, bool) {
	return phonenum.CallingCode(region)
}

// normalizePhone normalises raw and applies the SMS country allow-list.
func (s *Service) normalizePhone(raw string) (Phone, error) {
	if strings.TrimSpace(raw) == "" {
		return Phone{}, fmt.Errorf("%w: empty phone", ErrInvalidPhone)
	}
	p, err := s.phones.Normalize(raw)
	if err != nil {
		if !errors.Is(err, ErrInvalidPhone) {
			err = fmt.Errorf("%w: %w", ErrInvalidPhone, err)
		}
		return Phone{}, err
	}
	if !s.allowCC[p.CallingCode] {
		return Phone{}, fmt.Errorf("%w: country calling code not allowed", ErrInvalidPhone)
	}
	return p, nil
}
