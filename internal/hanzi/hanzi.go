// Package hanzi tells Simplified from Traditional Chinese in tests of the
// default texts: it knows the characters whose forms differ that those texts
// use, and finds the ones written in the wrong script.
package hanzi

import "strings"

// simplified and traditional are the two forms of the same characters, at
// the same positions. Only characters that exist in one script alone are
// listed (于 and 后 are kept: the texts use 於 and 後 in Traditional).
const (
	simplified  = "码验证机号户绑发错误请设锁邮输账务网络统时间过败数内为与该无们个对关联动诉变开链点击钮团队问题检频试获长见达态录须将仅进换护确认这让给级单于后么说语读写签称经绝从线启职电话处类参复杂满权执应讯简帐"
	traditional = "碼驗證機號戶綁發錯誤請設鎖郵輸賬務網絡統時間過敗數內為與該無們個對關聯動訴變開鏈點擊鈕團隊問題檢頻試獲長見達態錄須將僅進換護確認這讓給級單於後麼說語讀寫簽稱經絕從線啟職電話處類參複雜滿權執應訊簡帳"
)

// SimplifiedOnly returns the characters of s that only Simplified Chinese
// writes, in order, repeats included.
func SimplifiedOnly(s string) []string { return find(s, simplified) }

// TraditionalOnly returns the characters of s that only Traditional Chinese
// writes, in order, repeats included.
func TraditionalOnly(s string) []string { return find(s, traditional) }

func find(s, set string) []string {
	var out []string
	for _, r := range s {
		if strings.ContainsRune(set, r) {
			out = append(out, string(r))
		}
	}
	return out
}
