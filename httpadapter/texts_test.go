package httpadapter

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/acctsec/security"
	"github.com/acctsec/security/internal/hanzi"
	"github.com/acctsec/security/messages"
)

var allLangs = []lang{langEn, langZhCN, langZhTW, langZhHK}

// regionalWords are words a language's msg must not use: another region's.
var regionalWords = map[lang][]string{
	langZhTW: {"短訊", "賬戶", "手提電話", "電郵", "身份", "用戶"},
	langZhHK: {"簡訊", "帳戶", "手機", "電子郵件", "身分", "使用者"},
}

// everyText lists every msg sentence of the adapter under a name.
func everyText() map[string]text {
	all := map[string]text{}
	for k, t := range texts {
		all["texts/"+k] = t
	}
	for k, t := range policyTexts {
		all["policy/"+k] = t
	}
	for k, t := range argTexts {
		all["arg/"+argNames[k]] = t
	}
	all["argUnknownNoName"] = argUnknownNoName
	all["lockedUntil"] = lockedUntilText
	return all
}

var argNames = [...]string{argMalformed: "malformed", argUnknown: "unknown", argDuplicate: "duplicate",
	argMissing: "missing", argMismatch: "mismatch", argContentType: "contentType"}

// TestTextsEveryLanguage: every sentence exists in every language, in the
// script of the language, with the words of its region (a zh-HK msg that
// falls back to zh-TW must not say 簡訊 or 帳戶).
func TestTextsEveryLanguage(t *testing.T) {
	assert.Len(t, argNames, len(argTexts))
	for name, tx := range everyText() {
		assert.NotEmpty(t, tx.en, name)
		assert.NotEmpty(t, tx.zhCN, name)
		assert.NotEmpty(t, tx.zhTW, name)
		assert.Empty(t, hanzi.TraditionalOnly(tx.zhCN), "%s zh-CN: %s", name, tx.zhCN)
		for _, l := range []lang{langZhTW, langZhHK} {
			s := tx.in(l)
			assert.Empty(t, hanzi.SimplifiedOnly(s), "%s %d: %s", name, l, s)
			for _, w := range regionalWords[l] {
				assert.NotContains(t, s, w, "%s %d", name, l)
			}
		}
		if tx.zhHK != "" {
			assert.NotEqual(t, tx.zhTW, tx.zhHK, "%s: leave zhHK empty when it says the same", name)
		}
	}
	for _, m := range []map[string]text{texts, policyTexts} {
		for key, tx := range m {
			if key == "success" {
				continue // the envelope's fixed word
			}
			for _, l := range allLangs[1:] {
				assert.NotEqual(t, tx.en, tx.in(l), "a Chinese msg is not left in English")
			}
		}
	}
	for _, l := range allLangs {
		assert.Equal(t, "success", texts["success"].in(l))
	}
}

// TestEveryKeyHasText: every data key classify can answer has a msg, so no
// response ever carries an empty msg.
func TestEveryKeyHasText(t *testing.T) {
	for _, row := range rows {
		_, ok := texts[row.key]
		assert.True(t, ok, row.key)
	}
	for _, key := range []string{"weak_password", "weak_pay_password", "locked", "rate_limited", "internal"} {
		_, ok := texts[key]
		assert.True(t, ok, key)
	}
	for _, l := range allLangs {
		for _, err := range []error{&argError{kind: argContentType}, errors.New("x"), security.ErrWeakPassword} {
			assert.NotEmpty(t, classify(err, l).msg)
		}
	}
}

func TestLangOf(t *testing.T) {
	assert.Equal(t, langEn, langOf(""))
	assert.Equal(t, langEn, langOf(messages.LocaleEn))
	assert.Equal(t, langZhCN, langOf(messages.LocaleZhCN))
	assert.Equal(t, langZhTW, langOf(messages.LocaleZhTW))
	assert.Equal(t, langZhHK, langOf(messages.LocaleZhHK))
	for _, l := range messages.Locales() {
		if l != messages.LocaleEn {
			assert.NotEqual(t, langEn, langOf(l), "%s has a msg language", l)
		}
	}
}

// TestLockedText: the unlock time is shown in UTC for English and in the
// reader's UTC+8 clock, named as the reader names it, for Chinese.
func TestLockedText(t *testing.T) {
	until := time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)
	assert.Equal(t, "Too many wrong tries; locked until 2026-03-01T08:30:00Z.", lockedText(until, langEn))
	assert.Equal(t, "错误次数过多，已锁定至 2026-03-01 16:30:00（北京时间）。", lockedText(until, langZhCN))
	assert.Equal(t, "錯誤次數過多，已鎖定至 2026-03-01 16:30:00（台灣時間）。", lockedText(until, langZhTW))
	assert.Equal(t, "錯誤次數過多，已鎖定至 2026-03-01 16:30:00（香港時間）。", lockedText(until, langZhHK))
	assert.Equal(t, "錯誤次數過多，已鎖定，須重設後方可使用。", lockedText(time.Time{}, langZhHK))
}

func TestShownName(t *testing.T) {
	for _, name := range []string{"sign", "timestamp", "_csrf", "csrf-token", "user.name", "a[0]", "X"} {
		got, ok := shownName(name)
		assert.True(t, ok, name)
		assert.Equal(t, `"`+name+`"`, got)
	}
	for _, name := range []string{"", "<img src=x onerror=alert(1)>", "a b", "名字", "a\"b", "a\nb",
		"0123456789012345678901234567890123456789012345678901234567890123456789"} {
		_, ok := shownName(name)
		assert.False(t, ok, name)
	}
}
