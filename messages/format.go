package messages

import (
	"strconv"
	"time"
)

// unitWords are the words of one time unit: for 1 and for more.
type unitWords struct{ one, many string }

// formatTime shows t to a reader of locale, with its zone.
func formatTime(t time.Time, locale string) string {
	return t.Format(textsFor(locale).timeLayout)
}

// formatTTL says minutes in words of locale, in days or hours when exact.
func formatTTL(minutes int, locale string) string {
	lt := textsFor(locale)
	n, unit := minutes, lt.minute
	switch {
	case minutes >= 24*60 && minutes%(24*60) == 0:
		n, unit = minutes/(24*60), lt.day
	case minutes >= 60 && minutes%60 == 0:
		n, unit = minutes/60, lt.hour
	}
	word := unit.many
	if n == 1 {
		word = unit.one
	}
	return strconv.Itoa(n) + lt.unitSep + word
}
