package sms_test

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/notify/sms"
)

// deadAddr returns an address where nothing listens: connecting to it is
// refused.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// dialer makes an http.Client whose dials go, in turn, to the addresses
// plan returns for the attempt (0-based); it counts the attempts.
func dialer(plan func(attempt int) (addr string, err error)) (*http.Client, *atomic.Int32) {
	var n atomic.Int32
	var d net.Dialer
	tr := &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			addr, err := plan(int(n.Add(1) - 1))
			if err != nil {
				return nil, err
			}
			return d.DialContext(ctx, network, addr)
		},
	}
	return &http.Client{Transport: tr}, &n
}

// provider builds one of the three clients against endpoint with client.
type provider struct {
	name string
	fake func(t *testing.T) *fakeProvider
	new  func(t *testing.T, endpoint string, client *http.Client) security.Notifier
}

var providers = []provider{
	{"aliyun", func(t *testing.T) *fakeProvider { return aliyunFake(t, 200, aliyunOK) },
		func(t *testing.T, ep string, c *http.Client) security.Notifier {
			return newAliyun(t, ep, func(cfg *sms.AliyunConfig) { cfg.HTTPClient = c })
		}},
	{"tencent", func(t *testing.T) *fakeProvider { return tencentFake(t, 200, tencentStatus("Ok", "send success")) },
		func(t *testing.T, ep string, c *http.Client) security.Notifier {
			return newTencent(t, ep, func(cfg *sms.TencentConfig) { cfg.HTTPClient = c })
		}},
	{"twilio", func(t *testing.T) *fakeProvider { return twilioFake(t, 201, twilioCreated) },
		func(t *testing.T, ep string, c *http.Client) security.Notifier {
			return newTwilio(t, ep, func(cfg *sms.TwilioConfig) { cfg.HTTPClient = c })
		}},
}

func TestRetryOnlyWhatNeverLeft(t *testing.T) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			msg := codeMsg(security.PurposeBindPhone, "+8613800138000")

			t.Run("refused once, then sent once", func(t *testing.T) {
				f := p.fake(t)
				live, dead := f.Listener.Addr().String(), deadAddr(t)
				client, dials := dialer(func(i int) (string, error) {
					if i == 0 {
						return dead, nil
					}
					return live, nil
				})
				require.NoError(t, p.new(t, f.URL, client).Send(context.Background(), msg))
				assert.EqualValues(t, 2, dials.Load())
				assert.Len(t, f.requests(), 1)
			})

			t.Run("DNS failure, then sent once", func(t *testing.T) {
				f := p.fake(t)
				live := f.Listener.Addr().String()
				client, dials := dialer(func(i int) (string, error) {
					if i == 0 {
						return "", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "sms.example", IsNotFound: true}}
					}
					return live, nil
				})
				require.NoError(t, p.new(t, f.URL, client).Send(context.Background(), msg))
				assert.EqualValues(t, 2, dials.Load())
				assert.Len(t, f.requests(), 1)
			})

			t.Run("down: retried once, then fails", func(t *testing.T) {
				dead := deadAddr(t)
				client, dials := dialer(func(int) (string, error) { return dead, nil })
				err := p.new(t, "http://"+dead, client).Send(context.Background(), msg)
				require.ErrorIs(t, err, sms.ErrUnavailable)
				var op *net.OpError
				require.ErrorAs(t, err, &op)
				assert.Contains(t, err.Error(), "not sent")
				assertClean(t, err, "13800138000")
				assert.EqualValues(t, 2, dials.Load())
			})

			t.Run("context ends: no retry", func(t *testing.T) {
				dead := deadAddr(t)
				ctx, cancel := context.WithCancel(context.Background())
				client, dials := dialer(func(int) (string, error) {
					cancel()
					return dead, nil
				})
				err := p.new(t, "http://"+dead, client).Send(ctx, msg)
				require.ErrorIs(t, err, context.Canceled)
				assert.EqualValues(t, 1, dials.Load())
			})

			t.Run("accepted, then the connection dropped: not retried", func(t *testing.T) {
				drop := newFake(t, func(*http.Request, []byte) error { return nil }, nil,
					func(w http.ResponseWriter, r *http.Request, b []byte) {
						conn, _, err := http.NewResponseController(w).Hijack()
						if assert.NoError(t, err) {
							conn.Close()
						}
					})
				client, dials := dialer(func(int) (string, error) { return drop.Listener.Addr().String(), nil })
				err := p.new(t, drop.URL, client).Send(context.Background(), msg)
				require.ErrorIs(t, err, sms.ErrUnavailable)
				assert.Contains(t, err.Error(), "may have reached the provider")
				assertClean(t, err, "13800138000")
				assert.EqualValues(t, 1, dials.Load())
				assert.Len(t, drop.requests(), 1)
			})

			t.Run("accepted, then a 5xx: not retried", func(t *testing.T) {
				bad := newFake(t, func(*http.Request, []byte) error { return nil }, nil,
					func(w http.ResponseWriter, r *http.Request, b []byte) { w.WriteHeader(http.StatusServiceUnavailable) })
				err := p.new(t, bad.URL, nil).Send(context.Background(), msg)
				require.ErrorIs(t, err, sms.ErrUnavailable)
				assert.Len(t, bad.requests(), 1)
			})
		})
	}
}
