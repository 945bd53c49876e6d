package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSpawnSmoke builds the example server, runs the tool against it for
// about two seconds and checks that the flows ran without errors: every
// request answered its expected code or "429".
func TestSpawnSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the example server")
	}
	var stderr bytes.Buffer
	bin, err := buildServer(t.Context(), ".", t.TempDir(), &stderr)
	require.NoError(t, err, stderr.String())

	cfg, err := parseArgs([]string{"-spawn", "-server-bin", bin, "-c", "4", "-d", "2s", "-n", "5000"}, &stderr)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // hang guard only
	defer cancel()
	rep, err := load(ctx, cfg, &stderr)
	require.NoError(t, err, stderr.String())

	var out bytes.Buffer
	rep.print(&out)
	t.Log("\n" + out.String())
	require.Positive(t, rep.Overall.Count)
	assert.LessOrEqual(t, rep.Overall.Count+rep.Overall.Cancelled, 5000, "the request budget holds")
	assert.Zero(t, rep.Overall.Errors, "errors: %v", rep.Errors)
	assert.Positive(t, rep.PeakRSSKB, "the server's VmHWM was read")
	names := map[string]bool{}
	for _, s := range rep.Steps {
		names[s.Name] = true
	}
	// Every client registers first; the rest depends on the dice.
	assert.True(t, names["register"], "steps: %v", names)
}
