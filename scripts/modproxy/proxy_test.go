package main

import (
	"archive/zip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func writeFixtureProxy(t *testing.T, root string) (string, []Served) {
	t.Helper()
	out := t.TempDir()
	served, err := WriteProxy(loadFixture(t, root), "v0.2.0", time.Date(2026, 11, 30, 1, 2, 3, 0, time.UTC), out)
	if err != nil {
		t.Fatalf("WriteProxy: %v", err)
	}
	return out, served
}

func TestWriteProxyLaysOutEveryPublishedModule(t *testing.T) {
	out, served := writeFixtureProxy(t, writeRepo(t, nil))
	if len(served) != 3 {
		t.Fatalf("served %d modules, want 3 (the tool module is not published)", len(served))
	}
	for _, p := range []string{"example.com/acme", "example.com/acme/a", "example.com/acme/b"} {
		v := filepath.Join(out, filepath.FromSlash(p), "@v")
		if got := readFile(t, filepath.Join(v, "list")); got != "v0.2.0\n" {
			t.Errorf("%s list = %q", p, got)
		}
		var info struct{ Version, Time string }
		if err := json.Unmarshal([]byte(readFile(t, filepath.Join(v, "v0.2.0.info"))), &info); err != nil {
			t.Fatalf("%s .info: %v", p, err)
		}
		if info.Version != "v0.2.0" || info.Time != "2026-11-30T01:02:03Z" {
			t.Errorf("%s .info = %+v", p, info)
		}
		if !strings.HasPrefix(readFile(t, filepath.Join(v, "v0.2.0.mod")), "module "+p+"\n") {
			t.Errorf("%s .mod is not its go.mod", p)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "example.com/acme/tools/rel")); !os.IsNotExist(err) {
		t.Errorf("the unpublished tool module is in the proxy (stat: %v)", err)
	}
}

func TestWriteProxyRootZipLeavesNestedModulesOut(t *testing.T) {
	out, _ := writeFixtureProxy(t, writeRepo(t, nil))
	zr, err := zip.OpenReader(filepath.Join(out, "example.com/acme/@v/v0.2.0.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	// a, b and tools/rel are modules of their own. go.work stays in, as in
	// the zip the public proxy makes from the tag; the go command ignores a
	// go.work inside the module cache.
	want := []string{"example.com/acme@v0.2.0/README", "example.com/acme@v0.2.0/acme.go", "example.com/acme@v0.2.0/go.mod", "example.com/acme@v0.2.0/go.work"}
	if !slices.Equal(names, want) {
		t.Errorf("root zip holds %q, want %q", names, want)
	}
}

func TestWriteProxyRefusesExecutables(t *testing.T) {
	elf := "\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 100)
	root := writeRepo(t, map[string]string{"b/b": elf})
	_, err := WriteProxy(loadFixture(t, root), "v0.2.0", time.Now(), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "compiled executables") || !strings.Contains(err.Error(), filepath.Join("b", "b")) {
		t.Fatalf("WriteProxy with an ELF file = %v, want a refusal naming b/b", err)
	}
}

func TestIsExecutableRecognisesPEButNotTextStartingWithMZ(t *testing.T) {
	dir := t.TempDir()
	pe := make([]byte, 0x80)
	copy(pe, "MZ")
	pe[0x3c] = 0x40 // e_lfanew: the PE header follows the DOS stub
	copy(pe[0x40:], "PE\x00\x00")
	text := []byte("MZ is how this word list begins, and it goes on for more than sixty-four bytes of plain text.\n")
	for name, data := range map[string][]byte{"app.exe": pe, "words.txt": text} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := isExecutable(filepath.Join(dir, "app.exe")); !ok || err != nil {
		t.Errorf("isExecutable(PE) = %v, %v; want true", ok, err)
	}
	if ok, err := isExecutable(filepath.Join(dir, "words.txt")); ok || err != nil {
		t.Errorf("isExecutable(text beginning with MZ) = %v, %v; want false", ok, err)
	}
}

func TestWriteProxyRefusesFilesAModuleZipCannotHold(t *testing.T) {
	root := writeRepo(t, map[string]string{"a/bad*name.txt": "x"})
	_, err := WriteProxy(loadFixture(t, root), "v0.2.0", time.Now(), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "bad*name.txt") {
		t.Fatalf("WriteProxy with an invalid file name = %v, want an error naming it", err)
	}
}

func TestAddToListKeepsOtherVersionsSorted(t *testing.T) {
	list := filepath.Join(t.TempDir(), "list")
	for _, v := range []string{"v0.10.0", "v0.2.0", "v0.9.1", "v0.2.0"} {
		if err := addToList(list, v); err != nil {
			t.Fatal(err)
		}
	}
	if got := readFile(t, list); got != "v0.2.0\nv0.9.1\nv0.10.0\n" {
		t.Errorf("list = %q", got)
	}
}

// TestGoCommandConsumesTheProxy is the proxy's real test: the go command
// itself, with no network, no workspace and no replace, resolves and builds
// the nested module b (and through it a and the root) from the proxy, and
// records in go.sum exactly the hashes WriteProxy computed.
func TestGoCommandConsumesTheProxy(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, served := writeFixtureProxy(t, writeRepo(t, nil))
	host := t.TempDir()
	env := append(os.Environ(),
		"GOWORK=off",
		"GOPROXY=file://"+filepath.ToSlash(out),
		"GOSUMDB=off", // only our modules are involved, and no network
		"GOPRIVATE=", "GONOPROXY=", "GONOSUMDB=",
		"GOFLAGS=-mod=mod -modcacherw -buildvcs=false",
		"GOMODCACHE="+t.TempDir(),
		"GOTOOLCHAIN=local",
	)
	goCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(goBin, args...)
		cmd.Dir = host
		cmd.Env = env
		outb, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, outb)
		}
		return string(outb)
	}
	goCmd("mod", "init", "example.com/host")
	goCmd("get", "example.com/acme/b@v0.2.0")
	main := "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/acme/b\"\n)\n\nfunc main() { fmt.Println(b.Name) }\n"
	if err := os.WriteFile(filepath.Join(host, "main.go"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := goCmd("run", "."); got != "acme\n" {
		t.Errorf("go run . printed %q, want %q", got, "acme\n")
	}
	all := goCmd("list", "-m", "all")
	for _, want := range []string{"example.com/acme v0.2.0", "example.com/acme/a v0.2.0", "example.com/acme/b v0.2.0"} {
		if !strings.Contains(all, want+"\n") {
			t.Errorf("go list -m all = %q, missing %q", all, want)
		}
	}
	goCmd("mod", "verify")

	sum := readFile(t, filepath.Join(host, "go.sum"))
	for _, s := range served {
		for _, line := range strings.Split(strings.TrimSpace(s.GoSum()), "\n") {
			if !strings.Contains(sum, line+"\n") {
				t.Errorf("go.sum written by the go command lacks %q:\n%s", line, sum)
			}
		}
	}
}

func TestWriteProxyLeavesAWorktreeGitFileOut(t *testing.T) {
	root := writeRepo(t, map[string]string{".git": "gitdir: /elsewhere/.git/worktrees/x\n"})
	out, _ := writeFixtureProxy(t, root)
	zr, err := zip.OpenReader(filepath.Join(out, "example.com/acme/@v/v0.2.0.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/.git") {
			t.Errorf("the root zip holds %s", f.Name)
		}
	}
}
