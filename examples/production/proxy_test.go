package main

import (
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// proxy is a TCP proxy between a store and its real server that a test
// can cut and restore. Cut closes every open connection and, until
// Restore, either closes new ones at once (refuse) or holds them without
// answering (blackhole, a server that stopped responding).
type proxy struct {
	ln       net.Listener
	upstream string

	mu    sync.Mutex
	mode  proxyMode
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

type proxyMode int

const (
	proxyPass proxyMode = iota
	proxyRefuse
	proxyBlackhole
)

// startProxy listens on a loopback port and forwards to upstream until the
// test ends.
func startProxy(t *testing.T, upstream string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln, upstream: upstream, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's host:port.
func (p *proxy) Addr() string { return p.ln.Addr().String() }

// Cut stops the proxy. proxyRefuse drops every connection and closes new
// ones at once; proxyBlackhole keeps every connection open but forwards
// nothing more in either direction, and holds new ones the same way.
func (p *proxy) Cut(mode proxyMode) {
	p.mu.Lock()
	p.mode = mode
	if mode == proxyRefuse {
		p.closeConnsLocked()
	}
	p.mu.Unlock()
}

// Restore forwards new connections again. Connections held by a blackhole
// are dropped, so their clients see an error rather than a late answer.
func (p *proxy) Restore() {
	p.mu.Lock()
	p.mode = proxyPass
	p.closeConnsLocked()
	p.mu.Unlock()
}

func (p *proxy) closeConnsLocked() {
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	p.closeConnsLocked()
	p.mu.Unlock()
	p.wg.Wait()
}

// track registers c unless the proxy is shutting down.
func (p *proxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		mode := p.mode
		p.mu.Unlock()
		switch mode {
		case proxyRefuse:
			c.Close()
			continue
		case proxyBlackhole:
			p.track(c)
			continue
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.mode != proxyPass { // cut while dialing
			p.mu.Unlock()
			c.Close()
			up.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.conns[up] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

// pipe copies src to dst, dropping what arrives while the proxy is a
// blackhole; when either side ends, both are closed.
func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			drop := p.mode == proxyBlackhole
			p.mu.Unlock()
			if !drop {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}
