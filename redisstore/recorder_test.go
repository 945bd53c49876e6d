package redisstore_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// recorder is a go-redis hook that records every command sent alone and
// every pipeline, so tests can count round trips and inspect keys.
type recorder struct {
	mu   sync.Mutex
	cmds [][]any // one entry per round trip; a pipeline is flattened into one
}

func (r *recorder) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *recorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.add(cmd.Args())
		return next(ctx, cmd)
	}
}

func (r *recorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		var all []any
		for _, c := range cmds {
			all = append(all, c.Args()...)
		}
		r.add(all)
		return next(ctx, cmds)
	}
}

func (r *recorder) add(args []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cmds = append(r.cmds, args)
}

// take returns the round trips recorded since the last take.
func (r *recorder) take() [][]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.cmds
	r.cmds = nil
	return c
}

// name returns the lower-case command name of args.
func name(args []any) string {
	if len(args) == 0 {
		return ""
	}
	return strings.ToLower(fmt.Sprint(args[0]))
}

// keysOf returns the keys a recorded EVAL/EVALSHA or DEL names.
func keysOf(args []any) []string {
	var keys []string
	switch name(args) {
	case "eval", "evalsha":
		n, _ := strconv.Atoi(fmt.Sprint(args[2]))
		for _, k := range args[3 : 3+n] {
			keys = append(keys, fmt.Sprint(k))
		}
	case "del":
		for _, k := range args[1:] {
			keys = append(keys, fmt.Sprint(k))
		}
	}
	return keys
}

// scriptArgs returns the ARGV of a recorded EVAL/EVALSHA.
func scriptArgs(args []any) []string {
	n, _ := strconv.Atoi(fmt.Sprint(args[2]))
	var out []string
	for _, a := range args[3+n:] {
		out = append(out, fmt.Sprint(a))
	}
	return out
}

// slot is the Redis Cluster hash slot of key: CRC16 (XMODEM) of its hash
// tag, or of the whole key when it has none, modulo 16384.
func slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return int(crc16(key) % 16384)
}

func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
