// Command server is a DEMO of the account-security API: every documented
// route on an in-memory store, with a development notifier that prints
// each outgoing SMS and email, codes and links included, as one JSON line
// on stdout. Logs go to stderr.
//
//	go run ./examples/server [-addr 127.0.0.1:8287]
//
// It is not a production server: members are identified by the X-User-ID
// request header (anyone can claim any user), POST /demo/register creates
// accounts for anyone, flow cookies work over plain HTTP, and everything is
// lost at exit. A random secret is generated at each start.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	a, err := newApp(base, stdout, logger, nil)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	printUsage(stderr, base)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		_ = a.close(context.Background())
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return errors.Join(err, a.close(sctx))
}

func printUsage(w io.Writer, base string) {
	fmt.Fprintf(w, `
account-security DEMO server on %[1]s
  DEMO ONLY: X-User-ID identifies members, anyone can register, no TLS, data in memory.
  Outgoing SMS and email (codes and links) are printed as JSON lines on stdout.

Try it:
  curl -s -d userId=alice -d password=Plover-Orchid-71 -d email=alice@example.com %[1]s/demo/register
  curl -s -H 'X-User-ID: alice' '%[1]s/member/userservice/security?phone=13800138000'
  curl -s -X PUT -H 'X-User-ID: alice' -d phone=13800138000 -d message=<code> %[1]s/member/userservice/security/bindingPhone
  curl -s -X PUT -H 'X-User-ID: alice' -d payPasswordFirst=472915 %[1]s/member/userservice/security/payPassword
  curl -s -H 'X-User-ID: alice' %[1]s/member/userservice/security/status
  curl -s -c jar -b jar '%[1]s/web/userservice/security?phone=13800138000'
  curl -s -c jar -b jar -d message=<code> %[1]s/web/userservice/security
  curl -s -c jar -b jar -X PUT -d phone=13800138000 -d passwordFirst=Quartz-Meadow-58 %[1]s/web/userservice/security
  curl -s -d email=alice@example.com %[1]s/web/userservice/security/sendMail
  curl -s -d email=alice@example.com -d message=<code> %[1]s/web/userservice/security/verifyMail

`, base)
}
