package openapitest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// recordEnv is the variable httpadapter's test harness records under.
const recordEnv = "ACCTSEC_RECORD_EXCHANGES"

// exchange is one line of the recording (see httpadapter's harness_test.go).
type exchange struct {
	Kind   string   `json:"kind"`
	Routes []string `json:"routes"` // kind "routes"

	Test            string              `json:"test"`
	PathPrefix      string              `json:"pathPrefix"`
	FlowCookieName  string              `json:"flowCookieName"`
	InsecureCookies bool                `json:"insecureCookies"`
	AlwaysHTTP200   bool                `json:"alwaysHTTP200"`
	IgnoreParams    []string            `json:"ignoreParams"`
	Options         []string            `json:"options"` // options set that mount routes
	Method          string              `json:"method"`
	Target          string              `json:"target"`
	Host            string              `json:"host"`
	Header          map[string][]string `json:"header"`
	ContentLength   int64               `json:"contentLength"`
	Body            []byte              `json:"body"`
	Status          int                 `json:"status"`
	ResponseHeader  map[string][]string `json:"responseHeader"`
	ResponseBody    []byte              `json:"responseBody"`
}

// recorded is what one run of httpadapter's tests recorded: the routes the
// adapter serves (from its route table) and the exchanges.
type recorded struct {
	served []string
	xs     []exchange
}

// recording runs the tests of httpadapter with every exchange recorded, once
// per test process, and returns the recording.
func recording(t *testing.T) recorded {
	t.Helper()
	rec, err := record()
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

var record = sync.OnceValues(func() (recorded, error) {
	var rec recorded
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return rec, err
	}
	if mod, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil ||
		!strings.Contains(string(mod), "module github.com/acctsec/security\n") {
		return rec, fmt.Errorf("%s is not the root of github.com/acctsec/security: %v", root, err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return rec, fmt.Errorf("the go command is needed to run httpadapter's tests: %w", err)
	}
	dir, err := os.MkdirTemp("", "acctsec-openapitest")
	if err != nil {
		return rec, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "exchanges.jsonl")
	// Only the httpadapter package: "./httpadapter/..." would match this
	// module too in workspace mode, and recurse.
	args := []string{"test", "-count=1", "-run", ".", "./httpadapter"}
	if testing.Short() {
		args = append(args, "-short")
	}
	cmd := exec.Command(goTool, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), recordEnv+"="+file)
	if out, err := cmd.CombinedOutput(); err != nil {
		return rec, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	f, err := os.Open(file)
	if err != nil {
		return rec, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var x exchange
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			return rec, fmt.Errorf("recording: %w", err)
		}
		switch x.Kind {
		case "routes":
			rec.served = x.Routes
		case "exchange":
			rec.xs = append(rec.xs, x)
		default:
			return rec, fmt.Errorf("recording: unknown kind %q", x.Kind)
		}
	}
	if err := sc.Err(); err != nil {
		return rec, err
	}
	if rec.served == nil || len(rec.xs) == 0 {
		return rec, fmt.Errorf("the recording holds %d routes and %d exchanges", len(rec.served), len(rec.xs))
	}
	return rec, nil
})
