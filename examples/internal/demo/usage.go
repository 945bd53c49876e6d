package demo

import (
	"fmt"
	"io"
)

// PrintUsage writes the start-up banner to w: a blank line, the header
// lines as given (the first names the server, the next ones start with two
// spaces), then curl examples of every route on base and a blank line.
func PrintUsage(w io.Writer, base string, header ...string) {
	fmt.Fprintln(w)
	for _, line := range header {
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, `
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
