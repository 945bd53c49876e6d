// Command server is a DEMO of the account-security API: every documented
// route on an in-memory store, with a development notifier that prints
// each outgoing SMS and email, codes and links included, as one JSON line
// on stdout. Logs go to stderr. Its root, /, serves the account-security
// page (package web) with a demo sign-in and a dev inbox of the last
// printed messages; the server itself is package app.
//
//	go run ./examples/server [-addr 127.0.0.1:8287] [-max-limits]
//
// -import FILE loads members from a migration file (JSON Lines or CSV,
// package importer's format, the same as cmd/acctsec-import's) into the
// in-memory store at start, printing each refused row and a summary on
// stderr; the members can then sign in with their old passwords (the
// first sign-in replaces the imported hash with argon2id):
//
//	go run ./examples/server -import members.jsonl
//
// -max-limits raises every throttle to the top of its allowed range
// (demo.MaxLimits), for load tests; it warns on stderr when set.
//
// Given -smtp-host it sends email for real, over SMTP, and still prints SMS
// on stdout:
//
//	ACCTSEC_SMTP_PASSWORD=... go run ./examples/server \
//		-smtp-host smtp.example.com -smtp-user no-reply@acme.example \
//		-smtp-from 'Acme <no-reply@acme.example>' [-smtp-port 587] [-smtp-tls starttls|implicit|none]
//
// The password is read from the environment variable ACCTSEC_SMTP_PASSWORD,
// never from a flag, so it does not show in the process list. -smtp-tls
// starttls (the default) requires the server to offer STARTTLS; implicit
// speaks TLS from the first byte (port 465 unless -smtp-port says
// otherwise); none is for a local development server (Mailpit, MailHog).
// The demo's mailer is a small net/smtp client, so that the root module
// does not depend on an SMTP library; production code should use the
// notify/smtp module (github.com/acctsec/security/notify/smtp), which adds
// LOGIN, opportunistic STARTTLS, private CAs and finer errors.
//
// It is not a production server: members are identified by the X-User-ID
// request header (anyone can claim any user) or a demo session cookie,
// POST /demo/register creates accounts for anyone, GET /demo/inbox shows
// every printed code and link to anyone, flow cookies work over plain
// HTTP, and everything is lost at exit. A random secret is generated at
// each start.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/acctsec/security"
	"github.com/acctsec/security/examples/internal/demo"
	"github.com/acctsec/security/examples/server/app"
	"github.com/acctsec/security/importer"
	"github.com/acctsec/security/messages"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts down: in-flight requests finish,
// queued messages are delivered, the store's sweeper stops.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8287", "listen address")
	maxLimits := fs.Bool(demo.MaxLimitsFlag, false, demo.MaxLimitsUsage)
	importFile := fs.String("import", "", "load members from this JSON Lines (.jsonl) or CSV (.csv) migration file at start")
	var sc smtpConfig
	fs.StringVar(&sc.Host, "smtp-host", "", "SMTP server; when set, email is sent over SMTP instead of printed")
	fs.IntVar(&sc.Port, "smtp-port", 587, "SMTP port (465 by default with -smtp-tls implicit)")
	fs.StringVar(&sc.User, "smtp-user", "", "SMTP user for PLAIN auth (password: $"+passwordEnv+")")
	fs.StringVar(&sc.From, "smtp-from", "", "sender address, e.g. 'Acme <no-reply@acme.example>'")
	fs.StringVar(&sc.TLS, "smtp-tls", tlsStartTLS, "starttls, implicit or none")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	var mailer security.Notifier
	smtpFlag, portSet := "", false
	fs.Visit(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, "smtp-") && f.Name != "smtp-host" {
			smtpFlag = f.Name
		}
		portSet = portSet || f.Name == "smtp-port"
	})
	if sc.Host == "" && smtpFlag != "" {
		return fmt.Errorf("-%s needs -smtp-host", smtpFlag)
	}
	if sc.Host != "" {
		if sc.TLS == tlsImplicit && !portSet {
			sc.Port = 465
		}
		sc.Password = os.Getenv(passwordEnv)
		m, err := newDemoMailer(sc)
		if err != nil {
			return err
		}
		mailer = m
	}
	limits := demo.Limits(*maxLimits, logger)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	a, err := app.New(app.Options{Base: base, Stdout: stdout, Email: mailer, Logger: logger, Limits: limits})
	if err != nil {
		ln.Close()
		return err
	}
	if *importFile != "" {
		if err := importMembers(ctx, a, *importFile, stderr); err != nil {
			ln.Close()
			return errors.Join(err, a.Close(context.Background()))
		}
	}
	outgoing := "Outgoing SMS and email (codes and links) are printed as JSON lines on stdout."
	if mailer != nil {
		outgoing = "Email is sent over SMTP; outgoing SMS (codes) are printed as JSON lines on stdout."
	}
	demo.PrintUsage(stderr, base,
		"account-security DEMO server on "+base,
		"  DEMO ONLY: X-User-ID identifies members, anyone can register, no TLS, data in memory.",
		"  The account-security page: "+base+"/ (its dev inbox shows every code and link: DEVELOPMENT ONLY).",
		"  "+outgoing)
	return demo.Serve(ctx, ln, a.Handler, logger, a.Close)
}

// passwordEnv holds the SMTP password: an environment variable, not a flag,
// so it stays out of ps.
const passwordEnv = "ACCTSEC_SMTP_PASSWORD"

// newDemoMailer renders the demo's texts and builds its SMTP mailer.
func newDemoMailer(sc smtpConfig) (*smtpMailer, error) {
	r, err := messages.New(messages.Options{AppName: "acctsec demo"})
	if err != nil {
		return nil, err
	}
	return newSMTPMailer(sc, r)
}

// importMembers loads a migration file into the demo's store, reporting
// refused rows and the summary on stderr. Refused rows do not stop the
// server; an unreadable file does.
func importMembers(ctx context.Context, a *app.App, path string, stderr io.Writer) error {
	format, err := importer.FormatOf(path)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sum, err := a.Import(ctx, f, format, func(r importer.Refusal) { fmt.Fprintln(stderr, "import:", r) })
	fmt.Fprintf(stderr, "import of %s:\n", path)
	_, _ = sum.WriteTo(stderr)
	if err != nil {
		return fmt.Errorf("-import: %w", err)
	}
	return nil
}
