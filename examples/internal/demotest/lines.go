package demotest

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Lines is an io.Writer that hands each Write to the channel: the dev
// notifier (notify.NewWriter) writes one JSON line per Write. Make it with
// room for every line a test prints: Write blocks when it is full.
type Lines chan []byte

// Write queues a copy of b.
func (c Lines) Write(b []byte) (int, error) {
	c <- append([]byte(nil), b...)
	return len(b), nil
}

// Message is one line the dev notifier printed.
type Message struct {
	Channel, To, Purpose, Code, Link string
}

// hangGuard is how long Next waits for a line before failing the test; it
// only keeps a broken test from hanging.
const hangGuard = 20 * time.Second

// Next returns the next printed message that carries a code or a link,
// skipping notices, and fails t unless its purpose is purpose.
func (c Lines) Next(t testing.TB, purpose string) Message {
	t.Helper()
	timer := time.NewTimer(hangGuard)
	defer timer.Stop()
	for {
		select {
		case b := <-c:
			var m Message
			require.NoError(t, json.Unmarshal(bytes.TrimSpace(b), &m), string(b))
			if m.Code == "" && m.Link == "" {
				continue
			}
			require.Equal(t, purpose, m.Purpose)
			return m
		case <-timer.C:
			t.Fatal("no message printed")
		}
	}
}
