package messages

import (
	"strconv"
	"time"
)

// formatTime shows t to a reader of locale, with its zone.
func formatTime(t time.Time, locale string) string {
	if locale == LocaleZhCN {
		return t.Format("2006年1月2日 15:04 MST")
	}
	return t.Format("2 Jan 2006 15:04 MST")
}

// formatTTL says minutes in words of locale, in days or hours when exact.
func formatTTL(minutes int, locale string) string {
	n, unit := minutes, "minute"
	switch {
	case minutes >= 24*60 && minutes%(24*60) == 0:
		n, unit = minutes/(24*60), "day"
	case minutes >= 60 && minutes%60 == 0:
		n, unit = minutes/60, "hour"
	}
	if locale == LocaleZhCN {
		zh := map[string]string{"minute": "分钟", "hour": "小时", "day": "天"}
		return strconv.Itoa(n) + zh[unit]
	}
	if n != 1 {
		unit += "s"
	}
	return strconv.Itoa(n) + " " + unit
}
