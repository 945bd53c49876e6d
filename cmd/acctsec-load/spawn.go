package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// codeBook holds the codes the spawned server printed, by purpose and
// destination, for the clients waiting on them.
type codeBook struct {
	mu      sync.Mutex
	waiting map[string]chan string
}

func newCodeBook() *codeBook { return &codeBook{waiting: map[string]chan string{}} }

// expect registers interest in the next code of purpose to dest; call it
// before the request that sends the code, and forget after.
func (b *codeBook) expect(purpose, dest string) <-chan string {
	ch := make(chan string, 1)
	b.mu.Lock()
	b.waiting[purpose+" "+dest] = ch
	b.mu.Unlock()
	return ch
}

func (b *codeBook) forget(purpose, dest string) {
	b.mu.Lock()
	delete(b.waiting, purpose+" "+dest)
	b.mu.Unlock()
}

// await waits for a code on ch, at most timeout.
func (b *codeBook) await(ctx context.Context, ch <-chan string, timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case code := <-ch:
		return code, nil
	case <-ctx.Done():
		return "", errStop
	case <-t.C:
		return "", errors.New("no code printed")
	}
}

// read consumes the server's JSON lines until r ends, handing each code to
// its waiter; lines nobody waits for (notices) are dropped.
func (b *codeBook) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var l struct{ To, Purpose, Code string }
		if json.Unmarshal(sc.Bytes(), &l) != nil || l.Code == "" {
			continue
		}
		b.mu.Lock()
		ch := b.waiting[l.Purpose+" "+l.To]
		b.mu.Unlock()
		if ch != nil {
			select {
			case ch <- l.Code:
			default:
			}
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// server is a spawned example server.
type server struct {
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

// buildServer builds the example server from the module in dir into a
// temporary directory and returns the binary's path.
func buildServer(ctx context.Context, dir, tmp string, stderr io.Writer) (string, error) {
	bin := filepath.Join(tmp, "acctsec-example-server")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/acctsec/security/examples/server")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the example server: %w", err)
	}
	return bin, nil
}

// usagePrefix starts the line on which the example server names its
// address.
const usagePrefix = "account-security DEMO server on "

// spawnServer starts bin on a free loopback port with -max-limits (every
// throttle at the top of its range, so that fewer sends answer "429"),
// feeds its stdout to codes and returns once it has printed its address.
func spawnServer(ctx context.Context, bin string, codes *codeBook, logs io.Writer) (*server, error) {
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-max-limits")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	go codes.read(stdout)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, usagePrefix); ok {
				select {
				case found <- strings.TrimSpace(rest):
				default:
				}
				continue
			}
			if logs != nil {
				fmt.Fprintln(logs, "server:", line)
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() { _ = cmd.Wait(); close(s.done) }()
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case s.base = <-found:
		return s, nil
	case <-s.done:
		return nil, errors.New("the example server exited before listening")
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	case <-t.C:
		s.stop()
		return nil, errors.New("the example server did not print its address")
	}
}

// stop interrupts the server (it drains and exits) and kills it if it has
// not exited after 15 s.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.done
	}
}

// peakRSS returns VmHWM of pid in KiB, from /proc (Linux).
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, errors.New("no VmHWM in /proc/" + strconv.Itoa(pid) + "/status")
}
