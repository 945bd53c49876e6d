// Package phonenum normalises phone numbers to E.164 without
// libphonenumber. It knows a few regions well (mainland China mobile numbers
// exactly; HK, MO, TW, US, CA, GB, SG, JP, KR, AU, DE, FR and IN by length and
// leading digit) and every other country only by its calling code and the
// E.164 length limits.
//
// Parse accepts what people type: spaces, dashes, dots and brackets are
// ignored; full-width characters are folded (NFKC) first, so "＋８６ １３８…"
// reads as "+86 138…"; an international number may start with "+" or the
// international prefix "00" ("011" in the US and Canada, "0011" in
// Australia). A national trunk prefix "0" (or "1" in the US and Canada) is
// dropped, including the "+44 (0)20…" and "+86(0)138…" notation. Anything
// else (letters, extensions, "*", "#", control characters, more than 64
// bytes) is refused.
package phonenum
