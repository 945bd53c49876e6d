// Package gen writes member files for the importer's end-to-end test and
// benchmark: valid rows whose password hashes are real bcrypt strings made
// by Apache's htpasswd (testdata/htpasswd.tsv, written by
// testdata/generate.sh), reused cyclically, since hashing a million
// passwords with bcrypt would take far longer than importing them.
package gen

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

//go:embed testdata/htpasswd.tsv
var htpasswdTSV string

// Vector is a password and its bcrypt hash.
type Vector struct {
	Password, Hash string
}

// Vectors returns the htpasswd vectors.
func Vectors() []Vector {
	var vs []Vector
	for line := range strings.Lines(htpasswdTSV) {
		pw, h, ok := strings.Cut(strings.TrimRight(line, "\n"), "\t")
		if ok {
			vs = append(vs, Vector{pw, h})
		}
	}
	return vs
}

// Member is the row of member i (from 0): user "m<i>", a bcrypt hash of
// Vectors()[i % len], a unique mainland mobile number, an address on
// every other row, a MySQL DATETIME creation time.
type Member struct {
	UserID        string `json:"userId"`
	PasswordHash  string `json:"passwordHash"`
	Phone         string `json:"phone,omitempty"`
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"emailVerified,omitempty"`
	CreatedAt     string `json:"createdAt"`
}

// NewMember returns member i.
func NewMember(vs []Vector, i int) Member {
	m := Member{
		UserID:       fmt.Sprintf("m%d", i),
		PasswordHash: vs[i%len(vs)].Hash,
		Phone:        fmt.Sprintf("139%08d", i),
		CreatedAt:    fmt.Sprintf("2019-%02d-%02d 08:%02d:%02d", 1+i%12, 1+i%28, i%60, (i/60)%60),
	}
	if i%2 == 0 {
		m.Email, m.EmailVerified = fmt.Sprintf("m%d@example.com", i), i%4 == 0
	}
	return m
}

// Discuz!/ECShop md5(md5("password") + "a1B2c3"), computed with openssl
// dgst (the vector of the root package's legacy tests).
const (
	ecshopDigest = "f678f0f5cc52bc5b6963a17eb945d4e8"
	ecshopSalt   = "a1B2c3"
)

// md5Member is a member whose password is a salted MD5 digest kept apart
// from its salt, as ECShop stores it.
type md5Member struct {
	Member
	PasswordSalt   string `json:"passwordSalt"`
	PasswordScheme string `json:"passwordScheme"`
}

// WriteJSONL writes members from..to-1 as JSON Lines, with bcrypt hashes.
func WriteJSONL(w io.Writer, from, to int) error {
	return write(w, from, to, func(m Member) any { return m })
}

// WriteMD5JSONL writes members from..to-1 as JSON Lines, each with the
// same ECShop md5(md5(password) + salt) digest (of "password"): a cheap
// hash the importer wraps in argon2id, for measuring that wrapping.
func WriteMD5JSONL(w io.Writer, from, to int) error {
	return write(w, from, to, func(m Member) any {
		m.PasswordHash = ecshopDigest
		return md5Member{m, ecshopSalt, "md5-md5pass-salt"}
	})
}

func write(w io.Writer, from, to int, row func(Member) any) error {
	vs := Vectors()
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := from; i < to; i++ {
		if err := enc.Encode(row(NewMember(vs, i))); err != nil {
			return err
		}
	}
	return bw.Flush()
}
