package httpadapter

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/internal/wordlist"
)

// TestRepetitiveTextCoversEveryShape: the policy refuses PINs as
// "repetitive" for several shapes, not only one digit repeated, and the
// same reason serves login passwords. The text, in both languages, must
// name the shape of each refused example.
func TestRepetitiveTextCoversEveryShape(t *testing.T) {
	shapes := map[string]string{ // refused PIN -> the example the text must show for its shape
		"111111": "aaaaaa", "121212": "121212", "123123": "123123",
		"112233": "112233", "111222": "111222", "123321": "123321",
	}
	for pin, example := range shapes {
		reason, weak := wordlist.WeakPIN(pin)
		require.True(t, weak, pin)
		require.Equal(t, "repetitive", reason, pin)
		for _, l := range []lang{langEn, langZhCN, langZhTW, langZhHK} {
			o := classify(&security.PolicyError{Reason: reason, Err: security.ErrWeakPayPassword}, l)
			assert.Equal(t, "weak_pay_password", o.key)
			assert.Contains(t, o.msg, example, "%s (lang %v)", pin, l)
			assert.NotContains(t, o.msg, "one repeated digit")
			assert.NotContains(t, o.msg, "同一个数字重复")
			assert.NotContains(t, o.msg, "同一個數字重複")
		}
	}
	// Login passwords share the reason: the text must not say "pay password".
	require.True(t, wordlist.Repetitive("abcabcabc"))
	for _, l := range []lang{langEn, langZhCN, langZhTW, langZhHK} {
		o := classify(&security.PolicyError{Reason: "repetitive", Err: security.ErrWeakPassword}, l)
		assert.Equal(t, "weak_password", o.key)
		assert.False(t, strings.Contains(o.msg, "pay password") || strings.Contains(o.msg, "支付密码") || strings.Contains(o.msg, "支付密碼"), o.msg)
	}
}
