package hanzi

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestTablesPair(t *testing.T) {
	assert.Equal(t, utf8.RuneCountInString(simplified), utf8.RuneCountInString(traditional))
	for _, r := range simplified {
		assert.NotContains(t, traditional, string(r), "%c is in both forms", r)
	}
}

func TestFind(t *testing.T) {
	assert.Equal(t, []string{"验", "证", "码"}, SimplifiedOnly("【Acme】验证码：123"))
	assert.Empty(t, SimplifiedOnly("【Acme】驗證碼：123"))
	assert.Equal(t, []string{"驗", "證", "碼"}, TraditionalOnly("【Acme】驗證碼：123"))
	assert.Empty(t, TraditionalOnly("verify 验证码"))
}
