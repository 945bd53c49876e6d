package frameworks_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadmeShowsTheTestedCode: every mounting snippet of the top-level
// README's "Install and mount" section (the Go blocks that open with a
// comment naming a router) is, line for line, code of mount.go, which
// TestMounts drives. Comment lines are the README's own.
func TestReadmeShowsTheTestedCode(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	src, err := os.ReadFile("mount.go")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## Install and mount\n")
	require.True(t, ok, "no Install and mount section")
	section, _, _ = strings.Cut(section, "\n## ")

	code := codeLines(string(src))
	blocks := 0
	for _, block := range strings.Split(section, "```go\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		if !strings.HasPrefix(block, "// ") {
			continue // the Service set-up, not a mount
		}
		blocks++
		want := codeLines(block)
		require.NotEmpty(t, want)
		require.True(t, containsRun(code, want), "README snippet not in mount.go:\n%s", block)
	}
	require.Equal(t, 6, blocks, "one snippet per mount")
}

// codeLines returns the trimmed lines of s that are neither blank nor
// comments.
func codeLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "//") {
			out = append(out, l)
		}
	}
	return out
}

// containsRun reports whether want occurs in lines as a contiguous run.
func containsRun(lines, want []string) bool {
	for i := 0; i+len(want) <= len(lines); i++ {
		match := true
		for j, w := range want {
			if lines[i+j] != w {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
