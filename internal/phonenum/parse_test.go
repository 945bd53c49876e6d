package phonenum_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security/internal/phonenum"
)

func TestParseValid(t *testing.T) {
	const cnMobile = "+8613800138000"
	tests := []struct {
		name, raw, region, e164, code string
	}{
		{"cn plain", "13800138000", "CN", cnMobile, "86"},
		{"cn default region", "13800138000", "", cnMobile, "86"},
		{"cn region lower case", "13800138000", "cn", cnMobile, "86"},
		{"cn plus dashes", "+86 138-0013-8000", "CN", cnMobile, "86"},
		{"cn plus dashes only", "+86-138-0013-8000", "CN", cnMobile, "86"},
		{"cn plus spaces", "+86 138 0013 8000", "CN", cnMobile, "86"},
		{"cn 0086", "008613800138000", "CN", cnMobile, "86"},
		{"cn 0086 spaced", "0086 138 0013 8000", "CN", cnMobile, "86"},
		{"cn 86 prefix", "86 13800138000", "CN", cnMobile, "86"},
		{"cn 86 prefix joined", "8613800138000", "CN", cnMobile, "86"},
		{"cn bracketed plus", "(+86)13800138000", "CN", cnMobile, "86"},
		{"cn bracketed trunk", "+86(0)13800138000", "CN", cnMobile, "86"},
		{"cn trunk after code", "+86 013800138000", "CN", cnMobile, "86"},
		{"cn national trunk", "013800138000", "CN", cnMobile, "86"},
		{"cn dots", "138.0013.8000", "CN", cnMobile, "86"},
		{"cn surrounding spaces", "  13800138000  ", "CN", cnMobile, "86"},
		{"cn full width", "＋８６ １３８００１３８０００", "CN", cnMobile, "86"},
		{"cn full width brackets", "（＋８６）１３８－００１３－８０００", "CN", cnMobile, "86"},
		{"cn ideographic space", "138\u30000013\u30008000", "CN", cnMobile, "86"},
		{"cn en dash", "138\u20130013\u20138000", "CN", cnMobile, "86"},
		{"cn e164 from another region", cnMobile, "US", cnMobile, "86"},
		{"cn 199", "19912345678", "CN", "+8619912345678", "86"},
		{"hk national", "5123 4567", "HK", "+85251234567", "852"},
		{"hk from cn", "+852 5123 4567", "CN", "+85251234567", "852"},
		{"hk 00 from cn", "00852 5123 4567", "CN", "+85251234567", "852"},
		{"mo national", "6612 3456", "MO", "+85366123456", "853"},
		{"tw national trunk", "0912 345 678", "TW", "+886912345678", "886"},
		{"us national", "(202) 555-0123", "US", "+12025550123", "1"},
		{"us trunk 1", "1 202 555 0123", "US", "+12025550123", "1"},
		{"us 011", "011 86 138 0013 8000", "US", cnMobile, "86"},
		{"ca national", "416-555-0199", "CA", "+14165550199", "1"},
		{"gb national", "020 7946 0958", "GB", "+442079460958", "44"},
		{"gb (0) notation", "+44 (0)20 7946 0958", "CN", "+442079460958", "44"},
		{"gb mobile", "07700 900123", "GB", "+447700900123", "44"},
		{"sg national", "8123 4567", "SG", "+6581234567", "65"},
		{"jp mobile", "090-1234-5678", "JP", "+819012345678", "81"},
		{"kr mobile", "010-1234-5678", "KR", "+821012345678", "82"},
		{"au mobile", "0412 345 678", "AU", "+61412345678", "61"},
		{"au 0011", "0011 86 13800138000", "AU", cnMobile, "86"},
		{"de mobile", "0151 23456789", "DE", "+4915123456789", "49"},
		{"fr mobile", "06 12 34 56 78", "FR", "+33612345678", "33"},
		{"in mobile", "98765 43210", "IN", "+919876543210", "91"},
		{"in with code", "+91 98765 43210", "CN", "+919876543210", "91"},
		{"generic italy keeps 0", "+39 06 1234 5678", "CN", "+390612345678", "39"},
		{"generic russia", "+7 912 345-67-89", "CN", "+79123456789", "7"},
		{"generic 3-digit code", "+380 50 123 4567", "CN", "+380501234567", "380"},
		{"generic brazil", "+55 11 91234-5678", "CN", "+5511912345678", "55"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e164, code, err := phonenum.Parse(tt.raw, tt.region)
			require.NoError(t, err)
			assert.Equal(t, tt.e164, e164)
			assert.Equal(t, tt.code, code)
			again, code2, err := phonenum.Parse(e164, tt.region)
			require.NoError(t, err)
			assert.Equal(t, e164, again)
			assert.Equal(t, code, code2)
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name, raw, region string
	}{
		{"empty", "", "CN"},
		{"spaces only", "   ", "CN"},
		{"plus only", "+", "CN"},
		{"letters after", "13800138000abc", "CN"},
		{"letters inside", "138001x38000", "CN"},
		{"extension", "+1 202 555 0123 ext 4", "US"},
		{"hash", "13800138000#", "CN"},
		{"star", "*13800138000", "CN"},
		{"16 digits", "+8613800138000123", "CN"},
		{"16 digit national", "1380013800012345", "CN"},
		{"too long input", strings.Repeat(" ", 60) + "13800138000", "CN"},
		{"too many scan digits", strings.Repeat("1", 40), "CN"},
		{"nul", "13800138000\x00", "CN"},
		{"cr", "13800138000\r", "CN"},
		{"lf", "138001\n38000", "CN"},
		{"tab", "138\t00138000", "CN"},
		{"c1 control", "138\u008500138000", "CN"},
		{"invalid utf8", "13800138000\xff", "CN"},
		{"plus in middle", "86+13800138000", "CN"},
		{"double plus", "++8613800138000", "CN"},
		{"unbalanced open", "(+86 13800138000", "CN"},
		{"unbalanced close", "+86) 13800138000", "CN"},
		{"nested brackets", "((+86))13800138000", "CN"},
		{"cn too short", "1380013800", "CN"},
		{"cn too long", "138001380001", "CN"},
		{"cn not mobile", "12800138000", "CN"},
		{"cn landline", "010 6552 9988", "CN"},
		{"cn landline international", "+86 10 6552 9988", "CN"},
		{"cn two trunks", "+86 0013800138000", "CN"},
		{"unknown calling code", "+999 1234 5678", "CN"},
		{"non geographic premium", "+979 1234 5678", "CN"},
		{"unassigned 0", "+0 1234 5678", "CN"},
		{"too short generic", "+39 12345", "CN"},
		{"unknown region", "13800138000", "ZZ"},
		{"arabic indic digits", "١٣٨٠٠١٣٨٠٠٠", "CN"},
		{"us bad area code", "(102) 555-0123", "US"},
		{"us trunk after +1", "+1 1 202 555 0123", "US"},
		{"hk 7 digits", "5123 456", "HK"},
		{"hk number in cn", "5123 4567", "CN"},
		{"superscript would be letters", "١", "CN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e164, code, err := phonenum.Parse(tt.raw, tt.region)
			require.ErrorIs(t, err, phonenum.ErrInvalid)
			assert.Empty(t, e164)
			assert.Empty(t, code)
		})
	}
}

// TestParseErrorHidesInput: errors never echo the number.
func TestParseErrorHidesInput(t *testing.T) {
	_, _, err := phonenum.Parse("13800138000abc", "CN")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "138")
}

// TestParseSEC15Variants: every SEC-15 variant is one key.
func TestParseSEC15Variants(t *testing.T) {
	for _, raw := range []string{
		"13800138000", "+86 138 0013 8000", "+86-138-0013-8000",
		"008613800138000", "86 13800138000", "(+86)13800138000",
	} {
		e164, _, err := phonenum.Parse(raw, "CN")
		require.NoError(t, err, raw)
		assert.Equal(t, "+8613800138000", e164, raw)
	}
}

func TestCallingCode(t *testing.T) {
	tests := []struct {
		region, code string
		ok           bool
	}{
		{"CN", "86", true}, {"cn", "86", true}, {"HK", "852", true}, {"MO", "853", true},
		{"TW", "886", true}, {"US", "1", true}, {"CA", "1", true}, {"GB", "44", true},
		{"SG", "65", true}, {"JP", "81", true}, {"KR", "82", true}, {"AU", "61", true},
		{"DE", "49", true}, {"FR", "33", true}, {"IN", "91", true},
		{"ZZ", "", false}, {"", "", false}, {"UK", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			code, ok := phonenum.CallingCode(tt.region)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.code, code)
		})
	}
}
