// Package wordlist holds the built-in password and PIN blocklists and the
// pattern checks (repetition, sequences, keyboard walks) that the password
// and pay-password policies use.
//
// The lists are embedded in the binary and loaded into maps once, on first
// use. README.md in this directory says where each list came from.
package wordlist
