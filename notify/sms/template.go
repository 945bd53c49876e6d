package sms

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/acctsec/security"
)

// Template is a provider template registered for one purpose.
type Template struct {
	// ID is the provider's template ID: Aliyun TemplateCode ("SMS_123456789"),
	// Tencent TemplateId ("1110").
	ID string
	// Params lists the template's parameters in order. Each is a value:
	//
	//	"code"     the one-time code
	//	"minutes"  how long the code stays valid, in whole minutes (rounded up)
	//	"phone"    the recipient's number, masked ("+86138****8000")
	//
	// Aliyun names its parameters: write "name=value" when the template's
	// variable is not called like the value ("number=code" for a template
	// saying ${number}). Tencent's are positional ({1}, {2}): the order
	// matters and names are ignored.
	Params []string
}

// param is one parsed template parameter.
type param struct{ name, value string }

// parse checks the parameters of t.
func (t Template) parse() ([]param, error) {
	if strings.TrimSpace(t.ID) == "" {
		return nil, errors.New("empty template ID")
	}
	ps := make([]param, 0, len(t.Params))
	for _, p := range t.Params {
		name, value, ok := strings.Cut(p, "=")
		if !ok {
			value = name
		}
		switch value {
		case "code", "minutes", "phone":
		default:
			return nil, fmt.Errorf("template parameter %q: value must be code, minutes or phone", p)
		}
		if name == "" {
			return nil, fmt.Errorf("template parameter %q: empty name", p)
		}
		ps = append(ps, param{name, value})
	}
	return ps, nil
}

// templates is a validated purpose -> template map.
type templates map[security.Purpose]parsedTemplate

type parsedTemplate struct {
	id     string
	params []param
}

func parseTemplates(provider string, in map[security.Purpose]Template) (templates, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("sms: %s: no templates configured", provider)
	}
	out := make(templates, len(in))
	for p, t := range in {
		ps, err := t.parse()
		if err != nil {
			return nil, fmt.Errorf("sms: %s: template for %q: %w", provider, p, err)
		}
		for _, x := range ps {
			if x.value == "code" && p.IsNotice() {
				return nil, fmt.Errorf("sms: %s: template for %q: a security notice has no code", provider, p)
			}
		}
		out[p] = parsedTemplate{id: t.ID, params: ps}
	}
	return out, nil
}

// lookup returns the template for m's purpose, or an error wrapping
// ErrNoTemplate.
func (ts templates) lookup(provider string, m security.Message) (parsedTemplate, error) {
	t, ok := ts[m.Purpose]
	if !ok {
		return parsedTemplate{}, fmt.Errorf("sms: %s: %q: %w", provider, m.Purpose, ErrNoTemplate)
	}
	for _, p := range t.params {
		if p.value == "code" && m.Code == "" {
			return parsedTemplate{}, fmt.Errorf("sms: %s: %q: message has no code: %w", provider, m.Purpose, security.ErrInvalidArgument)
		}
	}
	return t, nil
}

// of returns the text of parameter p for m.
func (p param) of(m security.Message) string {
	switch p.value {
	case "code":
		return m.Code
	case "minutes":
		return strconv.FormatInt(int64((m.TTL+time.Minute-1)/time.Minute), 10)
	case "phone":
		return security.Mask(m.To)
	}
	return ""
}

// checkMessage refuses messages an SMS client cannot send.
func checkMessage(provider string, m security.Message) error {
	if m.Channel != security.ChannelSMS {
		return fmt.Errorf("sms: %s: channel %q is not sms: %w", provider, m.Channel, security.ErrInvalidArgument)
	}
	if !isE164(m.To) {
		return fmt.Errorf("sms: %s: recipient %s is not an E.164 number: %w", provider, security.Mask(m.To), ErrInvalidNumber)
	}
	return nil
}

// isE164 reports whether s is "+" and 8 to 15 digits, the first not 0.
func isE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
