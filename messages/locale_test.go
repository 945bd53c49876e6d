package messages_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/acctsec/security/messages"
)

func TestNormalizeLocale(t *testing.T) {
	tests := []struct {
		tag, def, want string
	}{
		{"zh", "en", "zh-CN"},
		{"zh-CN", "en", "zh-CN"},
		{"zh-Hans", "en", "zh-CN"},
		{"zh_CN", "en", "zh-CN"},
		{"ZH-cn", "en", "zh-CN"},
		{" zh-Hans-CN ", "en", "zh-CN"},
		{"en", "zh-CN", "en"},
		{"en-US", "zh-CN", "en"},
		{"en_GB", "zh-CN", "en"},
		{"", "zh-CN", "zh-CN"},
		{"", "en", "en"},
		{"fr-FR", "en", "en"},
		{"fr-FR", "zh-CN", "zh-CN"},
		{"zhx", "en", "en"},
		{"zh-TW", "en", "zh-TW"},
		{"zh_tw", "en", "zh-TW"},
		{"zh-Hant", "en", "zh-TW"},
		{"ZH-HANT-TW", "en", "zh-TW"},
		{"zh-Hant-CN", "en", "zh-TW"},
		{"zh-HK", "en", "zh-HK"},
		{"zh-hk", "en", "zh-HK"},
		{"zh-MO", "en", "zh-HK"},
		{"zh-Hant-HK", "en", "zh-HK"},
		{"zh-Hant-MO", "en", "zh-HK"},
		{"zh-yue-HK", "en", "zh-HK"},
		{"zh-SG", "en", "zh-CN"},
		{"zh-Hans-SG", "en", "zh-CN"},
		{"zh-Hans-TW", "en", "zh-CN"},
		{"zh-Hans-HK", "en", "zh-CN"},
		{"zh-MY", "en", "zh-CN"},
		{"zh-", "en", "zh-CN"},
		{"english", "zh-CN", "zh-CN"},
	}
	for _, tt := range tests {
		t.Run(tt.tag+"/"+tt.def, func(t *testing.T) {
			assert.Equal(t, tt.want, messages.NormalizeLocale(tt.tag, tt.def))
		})
	}
}

func TestMatchLocale(t *testing.T) {
	tests := []struct {
		name, header, def, want string
	}{
		{"empty", "", "zh-CN", "zh-CN"},
		{"empty en default", "", "en", "en"},
		{"plain zh", "zh", "en", "zh-CN"},
		{"browser zh", "zh-CN,zh;q=0.9,en;q=0.8", "en", "zh-CN"},
		{"browser en", "en-US,en;q=0.9,zh-CN;q=0.8", "zh-CN", "en"},
		{"q decides, not order", "en;q=0.5, zh-Hans;q=0.9", "en", "zh-CN"},
		{"equal q first wins", "en;q=0.8,zh;q=0.8", "zh-CN", "en"},
		{"unsupported skipped", "fr-FR,fr;q=0.9,en;q=0.5", "zh-CN", "en"},
		{"only unsupported", "fr-FR,de;q=0.9", "en", "en"},
		{"star", "*", "zh-CN", "zh-CN"},
		{"q zero never picked", "en;q=0, fr", "zh-CN", "zh-CN"},
		{"malformed q skipped", "en;q=abc, zh;q=0.1", "en", "zh-CN"},
		{"q above one skipped", "en;q=2, zh;q=0.1", "en", "zh-CN"},
		{"underscore", "zh_CN", "en", "zh-CN"},
		{"spaces", "  en-GB ; q=0.7 ,  zh ; q=0.6 ", "zh-CN", "en"},
		{"other params ignored", "en;level=1;q=0.4, zh;q=0.3", "zh-CN", "en"},
		{"garbage", ";;;,,,=;q", "en", "en"},
		{"Taiwan browser", "zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7", "en", "zh-TW"},
		{"Hong Kong browser", "zh-HK,zh-TW;q=0.9,zh;q=0.8,en;q=0.7", "zh-CN", "zh-HK"},
		{"Safari Hant", "zh-Hant-TW", "en", "zh-TW"},
		{"Macau", "zh-MO", "en", "zh-HK"},
		{"q prefers Simplified", "zh-TW;q=0.5,zh-CN;q=0.9", "en", "zh-CN"},
		{"q prefers Traditional", "zh-CN;q=0.5,zh-Hant;q=0.9", "en", "zh-TW"},
		{"q prefers Hong Kong", "zh-TW;q=0.7,zh-HK;q=0.8", "en", "zh-HK"},
		{"Singapore", "zh-SG", "zh-TW", "zh-CN"},
		{"Hans script", "zh-Hans", "zh-HK", "zh-CN"},
		{"Traditional default kept", "fr", "zh-TW", "zh-TW"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, messages.MatchLocale(tt.header, tt.def))
		})
	}
}

func TestMatchLocaleBoundsWork(t *testing.T) {
	// The supported language comes after the first 32 ranges: not read.
	header := strings.Repeat("fr,", 40) + "zh"
	assert.Equal(t, "en", messages.MatchLocale(header, "en"))
	// A huge header is cut, not parsed whole.
	huge := strings.Repeat("x", 1<<20) + ",zh"
	assert.Equal(t, "en", messages.MatchLocale(huge, "en"))
	assert.Equal(t, "zh-CN", messages.MatchLocale(strings.Repeat("de,", 10)+"zh", "en"))
}
