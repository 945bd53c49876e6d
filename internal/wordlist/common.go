package wordlist

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed common-passwords.txt
var commonPasswordsText string

// commonPasswords is the set of built-in common passwords, built once.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	return lineSet(commonPasswordsText)
})

// CommonPassword reports whether lowercased is on the built-in list of common
// passwords. The caller lower-cases (and NFKC-normalises) the password first;
// the list holds lower-case entries of 8 or more characters only, because
// shorter passwords are refused by length anyway.
func CommonPassword(lowercased string) bool {
	_, ok := commonPasswords()[lowercased]
	return ok
}

// CommonPasswordCount returns the number of entries on the built-in list of
// common passwords.
func CommonPasswordCount() int { return len(commonPasswords()) }

// lineSet returns the set of non-empty lines of text.
func lineSet(text string) map[string]struct{} {
	m := make(map[string]struct{}, strings.Count(text, "\n")+1)
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if line != "" {
			m[line] = struct{}{}
		}
	}
	return m
}
