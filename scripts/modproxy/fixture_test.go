package main

import (
	"os"
	"path/filepath"
	"testing"
)

// fixtureFiles is a small repository laid out like ours: a root module, a
// nested library a that requires it, a nested library b that requires both,
// go.work pinning the required versions, and a tool module that is never
// published.
func fixtureFiles() map[string]string {
	return map[string]string{
		"go.mod":   "module example.com/acme\n\ngo 1.26.0\n",
		"acme.go":  "package acme\n\n// Name is the library's name.\nconst Name = \"acme\"\n",
		"README":   "root module\n",
		"a/go.mod": "module example.com/acme/a\n\ngo 1.26.0\n\nrequire example.com/acme v0.2.0\n",
		"a/a.go":   "package a\n\nimport \"example.com/acme\"\n\n// Name is the root's name.\nconst Name = acme.Name\n",
		"b/go.mod": "module example.com/acme/b\n\ngo 1.26.0\n\nrequire (\n\texample.com/acme v0.2.0\n\texample.com/acme/a v0.2.0 // the a library\n)\n",
		"b/b.go":   "package b\n\nimport \"example.com/acme/a\"\n\n// Name is a's name.\nconst Name = a.Name\n",
		"go.work": `go 1.26.0

use (
	.
	./a
	./b
)

// The unpublished version resolves from the working tree.
replace example.com/acme v0.2.0 => ./

replace example.com/acme/a v0.2.0 => ./a // a
`,
		"tools/rel/go.mod":  "module example.com/acme/tools/rel\n\ngo 1.26.0\n",
		"tools/rel/main.go": "package main\n\nfunc main() {}\n",
	}
}

// writeRepo writes files (relative slash paths) into a new directory, with
// edits applied on top: an empty string removes a file.
func writeRepo(t *testing.T, edits map[string]string) string {
	t.Helper()
	files := fixtureFiles()
	for name, content := range edits {
		if content == "" {
			delete(files, name)
		} else {
			files[name] = content
		}
	}
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func loadFixture(t *testing.T, root string) *Repo {
	t.Helper()
	r, err := LoadRepo(root, []string{"tools/rel"})
	if err != nil {
		t.Fatalf("LoadRepo: %v", err)
	}
	return r
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
