package messages

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"

	"github.com/acctsec/security"
)

// ErrInvalidMessage is returned (wrapped) by Render for a Message it cannot
// render: an unknown purpose, a code purpose without a code, a malformed
// code or link. The error never contains the code or link.
var ErrInvalidMessage = errors.New("messages: invalid message")

// Options configures a Renderer. Every field but AppName has a documented
// default for its zero value.
type Options struct {
	// AppName names who is asking, as users know the product ("Acme",
	// "极客商城"). Required: 1 to 64 bytes, no control characters.
	AppName string
	// Support tells users how to reach support ("400-800-0000",
	// "help@acme.example"). "" makes notices say "<AppName> support".
	Support string
	// DefaultLocale is used when a Message's Locale is empty or unsupported:
	// one of Locales() (other tags are normalized with NormalizeLocale).
	// Default LocaleZhCN, as security.Config.
	DefaultLocale string
	// Location is the time zone of times shown in notices. Default UTC.
	Location *time.Location
	// Now gives the time shown in a notice whose Message.Time is zero.
	// Default time.Now.
	Now func() time.Time
	// Overrides replace default texts, per purpose and locale.
	Overrides []Override
}

// Override replaces some texts of one purpose. Empty fields keep the
// default. SMS, Subject and Text are text/template sources; HTML is an
// html/template source, so every value it prints is escaped for its
// context. All are executed with a Data value; Subject gets one whose Code
// and Link are empty, so a subject can never carry them.
type Override struct {
	// Purpose is the purpose whose texts are replaced. Required.
	Purpose security.Purpose
	// Locale is one of Locales() (other tags are normalized with
	// NormalizeLocale), or "" for every locale. An override for one locale
	// wins over one for every locale. zh-HK does not inherit a zh-TW
	// override: give one for each.
	Locale string
	SMS    string
	// Subject must render to one non-empty line.
	Subject string
	Text    string
	HTML    string
}

// Data is what templates are executed with.
type Data struct {
	// AppName and Support are Options.AppName and Options.Support.
	AppName string
	Support string
	Purpose security.Purpose
	// Locale is one of Locales().
	Locale string
	// Code is the one-time code; "" for notices and in subjects.
	Code string
	// Link is the verification link (PurposeVerifyEmail, when the host
	// sends one); "" otherwise and in subjects.
	Link string
	// TTL is the lifetime of Code and Link in words of the locale ("10
	// minutes", "10分钟", "10分鐘"); TTLMinutes the same in whole minutes,
	// rounded up.
	TTL        string
	TTLMinutes int
	// Time is when the event happened (notices) or the code was issued, in
	// the locale's format and Options.Location.
	Time string
	// LockedUntil is when a locked pay password unlocks, formatted like
	// Time; "" when it stays locked until reset (or for other purposes).
	LockedUntil string
}

// Rendered is one message in every form. Notifiers use the fields of their
// channel: SMS for text-taking SMS providers, Subject, Text and HTML for
// email.
type Rendered struct {
	SMS     string
	Subject string
	Text    string
	HTML    string
}

// Renderer renders Messages. It is safe for concurrent use.
type Renderer struct {
	opts Options
	sets map[setKey]*templateSet
}

type setKey struct {
	purpose security.Purpose
	locale  string
}

type templateSet struct {
	sms, subject, text *texttemplate.Template
	html               *htmltemplate.Template
}

// sources are the template sources of one purpose and locale.
type sources struct {
	SMS, Subject, Text, HTML string
}

// New checks opts, parses the default and override templates and renders
// each once with sample data, so that a broken template, or one that leaves
// out the code, fails here.
func New(opts Options) (*Renderer, error) {
	if opts.AppName == "" || len(opts.AppName) > 64 || hasControl(opts.AppName) {
		return nil, errors.New("messages: AppName must be 1 to 64 bytes without control characters")
	}
	if len(opts.Support) > 128 || hasControl(opts.Support) {
		return nil, errors.New("messages: Support must be at most 128 bytes without control characters")
	}
	if opts.DefaultLocale == "" {
		opts.DefaultLocale = LocaleZhCN
	}
	def, ok := supported(opts.DefaultLocale)
	if !ok {
		return nil, fmt.Errorf("messages: unsupported DefaultLocale %q (use one of %q)", opts.DefaultLocale, Locales())
	}
	opts.DefaultLocale = def
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}

	all := map[setKey]sources{}
	for _, locale := range Locales() {
		for _, p := range Purposes() {
			all[setKey{p, locale}] = defaultSources(p, locale)
		}
	}
	if err := applyOverrides(all, opts.Overrides); err != nil {
		return nil, err
	}
	opts.Overrides = nil

	r := &Renderer{opts: opts, sets: make(map[setKey]*templateSet, len(all))}
	for k, src := range all {
		set, err := parseSet(k, src)
		if err != nil {
			return nil, err
		}
		r.sets[k] = set
		if err := r.trial(k, set); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// applyOverrides merges overrides into all: those for both locales first,
// then those for one.
func applyOverrides(all map[setKey]sources, overrides []Override) error {
	for _, pass := range []bool{false, true} {
		for _, o := range overrides {
			if !isPurpose(o.Purpose) {
				return fmt.Errorf("messages: override for unknown purpose %q", o.Purpose)
			}
			locales := Locales()
			if o.Locale != "" {
				l, ok := supported(o.Locale)
				if !ok {
					return fmt.Errorf("messages: override for %s has unsupported locale %q", o.Purpose, o.Locale)
				}
				locales = []string{l}
			}
			if (o.Locale != "") != pass {
				continue
			}
			for _, l := range locales {
				k := setKey{o.Purpose, l}
				src := all[k]
				replace(&src.SMS, o.SMS)
				replace(&src.Subject, o.Subject)
				replace(&src.Text, o.Text)
				replace(&src.HTML, o.HTML)
				all[k] = src
			}
		}
	}
	return nil
}

func replace(dst *string, src string) {
	if src != "" {
		*dst = src
	}
}

func parseSet(k setKey, src sources) (*templateSet, error) {
	name := func(part string) string { return string(k.purpose) + "/" + k.locale + "/" + part }
	var set templateSet
	var err error
	if set.sms, err = texttemplate.New(name("sms")).Option("missingkey=error").Parse(src.SMS); err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	if set.subject, err = texttemplate.New(name("subject")).Option("missingkey=error").Parse(src.Subject); err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	if set.text, err = texttemplate.New(name("text")).Option("missingkey=error").Parse(src.Text); err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	if set.html, err = htmltemplate.New(name("html")).Option("missingkey=error").Parse(src.HTML); err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	return &set, nil
}

// Sample values for the trial render in New.
const (
	sampleCode = "864209"
	sampleLink = "https://example.invalid/verify?token=sample"
)

// trial renders set with sample data and checks the result; errors may
// show template details since the data is not secret.
func (r *Renderer) trial(k setKey, set *templateSet) error {
	at := time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC)
	m := security.Message{Purpose: k.purpose, Locale: k.locale, TTL: 10 * time.Minute, Time: at, LockedUntil: at.Add(time.Hour)}
	if !k.purpose.IsNotice() {
		m.Code = sampleCode
		if k.purpose == security.PurposeVerifyEmail {
			m.Link = sampleLink
		}
	}
	d, err := r.data(m, k.locale)
	if err != nil {
		return err
	}
	out, err := execute(set, d)
	if err != nil {
		return fmt.Errorf("messages: %w", err)
	}
	if err := check(out, d); err != nil {
		return fmt.Errorf("messages: %s/%s: %w", k.purpose, k.locale, err)
	}
	if d.Link != "" && (!strings.Contains(out.Text, d.Link) || !strings.Contains(out.HTML, d.Link)) {
		return fmt.Errorf("messages: %s/%s: the text and HTML bodies must show the link", k.purpose, k.locale)
	}
	return nil
}

// Render renders m in its locale (NormalizeLocale of m.Locale, falling back
// to Options.DefaultLocale). Code purposes need m.Code (letters, digits and
// hyphens, at most 64) and a positive m.TTL; m.Link, if set, must be an
// absolute http or https URL without spaces or control characters. For
// notices m.Code and m.Link are ignored. Errors never contain the code or
// link.
func (r *Renderer) Render(m security.Message) (Rendered, error) {
	locale := NormalizeLocale(m.Locale, r.opts.DefaultLocale)
	set, ok := r.sets[setKey{m.Purpose, locale}]
	if !ok {
		return Rendered{}, fmt.Errorf("%w: unknown purpose %q", ErrInvalidMessage, m.Purpose)
	}
	d, err := r.data(m, locale)
	if err != nil {
		return Rendered{}, err
	}
	out, err := execute(set, d)
	if err != nil {
		// The template error could quote data; keep only where it failed.
		return Rendered{}, fmt.Errorf("messages: rendering %s/%s failed", m.Purpose, locale)
	}
	if err := check(out, d); err != nil {
		return Rendered{}, fmt.Errorf("messages: %s/%s: %w", m.Purpose, locale, err)
	}
	return out, nil
}

// data builds the template data of m, validating what a code purpose needs.
func (r *Renderer) data(m security.Message, locale string) (Data, error) {
	at := m.Time
	if at.IsZero() {
		at = r.opts.Now()
	}
	d := Data{
		AppName: r.opts.AppName,
		Support: r.opts.Support,
		Purpose: m.Purpose,
		Locale:  locale,
		Time:    formatTime(at.In(r.opts.Location), locale),
	}
	if m.Purpose == security.PurposePayPasswordLocked && !m.LockedUntil.IsZero() {
		d.LockedUntil = formatTime(m.LockedUntil.In(r.opts.Location), locale)
	}
	if m.Purpose.IsNotice() {
		return d, nil
	}
	if !validCode(m.Code) {
		return Data{}, fmt.Errorf("%w: %s needs a code of 1 to 64 letters, digits or hyphens", ErrInvalidMessage, m.Purpose)
	}
	if m.TTL <= 0 {
		return Data{}, fmt.Errorf("%w: %s needs a positive TTL", ErrInvalidMessage, m.Purpose)
	}
	if m.Link != "" {
		if m.Purpose != security.PurposeVerifyEmail {
			return Data{}, fmt.Errorf("%w: only %s carries a link", ErrInvalidMessage, security.PurposeVerifyEmail)
		}
		if !validLink(m.Link) {
			return Data{}, fmt.Errorf("%w: the link must be an absolute http or https URL without spaces", ErrInvalidMessage)
		}
	}
	d.Code, d.Link = m.Code, m.Link
	d.TTLMinutes = int((m.TTL + time.Minute - 1) / time.Minute)
	d.TTL = formatTTL(d.TTLMinutes, locale)
	return d, nil
}

func execute(set *templateSet, d Data) (Rendered, error) {
	var out Rendered
	var b bytes.Buffer
	run := func(exec func() error, dst *string) error {
		b.Reset()
		if err := exec(); err != nil {
			return err
		}
		*dst = b.String()
		return nil
	}
	subjectData := d
	subjectData.Code, subjectData.Link = "", ""
	if err := run(func() error { return set.sms.Execute(&b, d) }, &out.SMS); err != nil {
		return Rendered{}, err
	}
	if err := run(func() error { return set.subject.Execute(&b, subjectData) }, &out.Subject); err != nil {
		return Rendered{}, err
	}
	if err := run(func() error { return set.text.Execute(&b, d) }, &out.Text); err != nil {
		return Rendered{}, err
	}
	if err := run(func() error { return set.html.Execute(&b, d) }, &out.HTML); err != nil {
		return Rendered{}, err
	}
	out.SMS = strings.TrimSpace(out.SMS)
	out.Subject = strings.TrimSpace(out.Subject)
	return out, nil
}

// check verifies a rendering: one-line subject, every part non-empty, and
// the code in every body of a code purpose.
func check(out Rendered, d Data) error {
	switch {
	case out.Subject == "" || hasControl(out.Subject):
		return errors.New("the subject must be one non-empty line")
	case out.SMS == "" || strings.TrimSpace(out.Text) == "" || strings.TrimSpace(out.HTML) == "":
		return errors.New("the SMS, text and HTML must not be empty")
	}
	if d.Code != "" && (!strings.Contains(out.SMS, d.Code) || !strings.Contains(out.Text, d.Code) || !strings.Contains(out.HTML, d.Code)) {
		return errors.New("the SMS, text and HTML must show the code")
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

func validCode(code string) bool {
	if code == "" || len(code) > 64 {
		return false
	}
	for _, c := range code {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// validLink accepts absolute http and https URLs of printable ASCII.
func validLink(link string) bool {
	if len(link) > 2048 || strings.ContainsFunc(link, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return false
	}
	u, err := url.Parse(link)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}
