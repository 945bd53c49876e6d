package demo_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/acctsec/security/examples/internal/demo"
)

// TestPrintUsage pins the banner byte for byte: the load tool
// (cmd/acctsec-load) finds the address on its first line, and the README
// shows it.
func TestPrintUsage(t *testing.T) {
	var b bytes.Buffer
	demo.PrintUsage(&b, "http://127.0.0.1:8287", "account-security DEMO server on http://127.0.0.1:8287", "  second", "  third")
	assert.Equal(t, `
account-security DEMO server on http://127.0.0.1:8287
  second
  third

Try it:
  curl -s -d userId=alice -d password=Plover-Orchid-71 -d email=alice@example.com http://127.0.0.1:8287/demo/register
  curl -s -H 'X-User-ID: alice' 'http://127.0.0.1:8287/member/userservice/security?phone=13800138000'
  curl -s -X PUT -H 'X-User-ID: alice' -d phone=13800138000 -d message=<code> http://127.0.0.1:8287/member/userservice/security/bindingPhone
  curl -s -X PUT -H 'X-User-ID: alice' -d payPasswordFirst=472915 http://127.0.0.1:8287/member/userservice/security/payPassword
  curl -s -H 'X-User-ID: alice' http://127.0.0.1:8287/member/userservice/security/status
  curl -s -c jar -b jar 'http://127.0.0.1:8287/web/userservice/security?phone=13800138000'
  curl -s -c jar -b jar -d message=<code> http://127.0.0.1:8287/web/userservice/security
  curl -s -c jar -b jar -X PUT -d phone=13800138000 -d passwordFirst=Quartz-Meadow-58 http://127.0.0.1:8287/web/userservice/security
  curl -s -d email=alice@example.com http://127.0.0.1:8287/web/userservice/security/sendMail
  curl -s -d email=alice@example.com -d message=<code> http://127.0.0.1:8287/web/userservice/security/verifyMail

`, b.String())
}
