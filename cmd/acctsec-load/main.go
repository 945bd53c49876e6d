// Command acctsec-load drives an account-security server over loopback
// with concurrent clients for a bounded time and reports throughput,
// latency percentiles per flow and overall, errors by envelope code, and
// the server's peak RSS.
//
//	go run ./cmd/acctsec-load -spawn -c 8 -d 10s
//	go run ./cmd/acctsec-load -url http://127.0.0.1:8287 -server-pid 1234
//
// It targets the example server (examples/server): accounts come from its
// POST /demo/register and members are named by the X-User-ID header. Each
// client registers an account and loops over realistic flows: bind a phone
// (send a code, verify it), change the password, set then update the pay
// password, and forgot-password (start, verify the code, set a new
// password). With -spawn it builds and starts the example server itself on
// a free loopback port, reads the codes from the JSON lines it prints, and
// reads its peak RSS (VmHWM) from /proc before stopping it. Against a
// server it did not start, it cannot read codes: the code flows stop after
// their send.
//
// Only loopback targets are accepted, every run ends by itself (-d, at most
// 10 minutes, and -n requests), and "429" answers are counted apart from
// errors: the server's throttles (per IP, account and phone, and its hourly
// SMS budget) may refuse some sends. A spawned server runs with
// -max-limits (every throttle at the top of its range), and each flow
// connects from its own 127.x.y.z source address (-spread-ips), so that the
// per-IP throttle does not refuse nearly all of them.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "acctsec-load:", err)
		os.Exit(1)
	}
}

// Hard ceilings on a run.
const (
	maxDuration = 10 * time.Minute
	maxRequests = 10_000_000
	maxClients  = 1024
)

// config is a parsed command line.
type config struct {
	url       string // without -spawn: the base URL, checked by loopbackBase
	clients   int
	duration  time.Duration
	requests  int
	timeout   time.Duration
	spawn     bool
	serverBin string
	module    string
	serverPID int
	spread    bool
	jsonOut   bool
	verbose   bool
}

func parseArgs(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("acctsec-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8287", "server base URL (loopback only; ignored with -spawn)")
	fs.IntVar(&c.clients, "c", 8, "concurrent clients")
	fs.DurationVar(&c.duration, "d", 10*time.Second, "how long to start new flows (at most 10m)")
	fs.IntVar(&c.requests, "n", 200_000, "most requests to send")
	fs.DurationVar(&c.timeout, "timeout", 15*time.Second, "per-request timeout")
	fs.BoolVar(&c.spawn, "spawn", false, "build and start the example server, read its codes and peak RSS")
	fs.StringVar(&c.serverBin, "server-bin", "", "with -spawn: the example server binary (default: go build it)")
	fs.StringVar(&c.module, "module", ".", "with -spawn and no -server-bin: a directory inside the acctsec module")
	fs.IntVar(&c.serverPID, "server-pid", 0, "without -spawn: the server's process ID, to read its peak RSS")
	fs.BoolVar(&c.spread, "spread-ips", true, "connect each flow from its own 127.x.y.z address (IPv4 loopback targets)")
	fs.BoolVar(&c.jsonOut, "json", false, "print the report as JSON")
	fs.BoolVar(&c.verbose, "v", false, "copy the spawned server's log lines to stderr")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	case c.clients < 1 || c.clients > maxClients:
		return c, fmt.Errorf("-c %d outside 1..%d", c.clients, maxClients)
	case c.duration <= 0 || c.duration > maxDuration:
		return c, fmt.Errorf("-d %s outside (0, %s]", c.duration, maxDuration)
	case c.requests < 1 || c.requests > maxRequests:
		return c, fmt.Errorf("-n %d outside 1..%d", c.requests, maxRequests)
	case c.timeout <= 0 || c.timeout > time.Minute:
		return c, fmt.Errorf("-timeout %s outside (0, 1m]", c.timeout)
	}
	if !c.spawn {
		base, err := loopbackBase(c.url)
		if err != nil {
			return c, err
		}
		c.url = base
	}
	return c, nil
}

// loopbackBase checks that raw is an http URL on a loopback address (or
// "localhost") and returns it without a trailing slash.
func loopbackBase(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("-url %q: want http://host:port", raw)
	}
	host := u.Hostname()
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return "", fmt.Errorf("-url %q: refusing a non-loopback host; this tool only targets 127.0.0.0/8, ::1 or localhost", raw)
		}
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return "", fmt.Errorf("-url %q: give the base URL only", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	rep, err := load(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	if cfg.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(stdout)
	return nil
}

// load runs one load test as cfg says and returns its report.
func load(ctx context.Context, cfg config, stderr io.Writer) (*report, error) {
	var idb [4]byte
	_, _ = rand.Read(idb[:])
	d := &driver{
		rec:     newRecorder(cfg.requests),
		runID:   hex.EncodeToString(idb[:]),
		timeout: cfg.timeout,
		phone0:  int64(idb[0])<<16 | int64(idb[1])<<8 | int64(idb[2]),
	}
	pid := cfg.serverPID
	if cfg.spawn {
		bin := cfg.serverBin
		if bin == "" {
			tmp, err := os.MkdirTemp("", "acctsec-load-")
			if err != nil {
				return nil, err
			}
			defer os.RemoveAll(tmp)
			if bin, err = buildServer(ctx, cfg.module, tmp, stderr); err != nil {
				return nil, err
			}
		}
		d.codes = newCodeBook()
		var logs io.Writer
		if cfg.verbose {
			logs = stderr
		}
		srv, err := spawnServer(ctx, bin, d.codes, logs)
		if err != nil {
			return nil, err
		}
		defer srv.stop()
		d.base, pid = srv.base, srv.cmd.Process.Pid
		if _, err := loopbackBase(d.base); err != nil {
			return nil, err
		}
	} else {
		d.base = cfg.url // checked and trimmed by parseArgs
	}
	if u, _ := url.Parse(d.base); cfg.spread {
		ip := net.ParseIP(u.Hostname())
		d.spread = ip != nil && ip.To4() != nil
	}

	// Clients start flows for cfg.duration; flows in flight then finish,
	// bounded by the per-request timeout and a hard stop.
	runCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	hardCtx, hardCancel := context.WithTimeout(ctx, cfg.duration+cfg.timeout+5*time.Second)
	defer hardCancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range cfg.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := d.newClient(uint64(i) + 1)
			c.run(flowContext{hard: hardCtx, soft: runCtx})
		}()
	}
	wg.Wait()
	rep := d.rec.report(time.Since(start), cfg.clients)
	if pid > 0 {
		if kb, err := peakRSS(pid); err == nil {
			rep.PeakRSSKB = kb
		} else {
			fmt.Fprintln(stderr, "acctsec-load: peak RSS:", err)
		}
	}
	if ctx.Err() != nil {
		return rep, errors.New("interrupted")
	}
	return rep, nil
}

// flowContext is the hard context of requests; soft says when to stop
// starting flows.
type flowContext struct {
	hard context.Context
	soft context.Context
}
