package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
)

// Module is one module of the repository: its directory relative to the
// repository root ("." for the root module, slash-separated otherwise) and
// its parsed go.mod.
type Module struct {
	Dir  string
	Path string
	File *modfile.File
}

// Tag returns the git tag that publishes m at version: the version itself for
// the root module, "<dir>/<version>" for a nested one.
func (m Module) Tag(version string) string {
	if m.Dir == "." {
		return version
	}
	return m.Dir + "/" + version
}

// Repo is the repository as the release tooling sees it: the root module's
// path, the modules to publish (those the root go.work uses), the modules
// deliberately left unpublished, and the parsed go.work.
type Repo struct {
	Root        string
	RootPath    string
	Published   []Module
	Unpublished []Module
	Work        *modfile.WorkFile
	// Stray lists directories holding a go.mod that go.work does not use and
	// that are not declared unpublished: someone added a module and forgot
	// `go work use`.
	Stray []string
}

// LoadRepo reads go.work at root and every go.mod below it. unpublished lists
// module directories (relative, slash-separated) that are tools of the
// repository and never released.
func LoadRepo(root string, unpublished []string) (*Repo, error) {
	workData, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		return nil, err
	}
	work, err := modfile.ParseWork("go.work", workData, nil)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, u := range work.Use {
		used[cleanDir(u.Path)] = true
	}
	skip := map[string]bool{}
	for _, d := range unpublished {
		skip[cleanDir(d)] = true
	}

	r := &Repo{Root: root, Work: work}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			// The go command ignores these directories when it matches
			// packages, and so does a module zip.
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() != "go.mod" {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(rel)
		m, err := readModule(root, dir)
		if err != nil {
			return err
		}
		switch {
		case skip[dir]:
			r.Unpublished = append(r.Unpublished, m)
		case used[dir]:
			r.Published = append(r.Published, m)
		default:
			r.Stray = append(r.Stray, dir)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for dir := range used {
		if !slices.ContainsFunc(r.Published, func(m Module) bool { return m.Dir == dir }) {
			return nil, fmt.Errorf("go.work uses ./%s, which has no go.mod (or is declared unpublished)", dir)
		}
	}
	rootIdx := slices.IndexFunc(r.Published, func(m Module) bool { return m.Dir == "." })
	if rootIdx < 0 {
		return nil, errors.New("go.work does not use the root module (use .)")
	}
	r.RootPath = r.Published[rootIdx].Path
	// The root first, then by directory: a stable order for output and tags.
	slices.SortFunc(r.Published, func(a, b Module) int {
		if a.Dir == "." {
			return -1
		}
		if b.Dir == "." {
			return 1
		}
		return strings.Compare(a.Dir, b.Dir)
	})
	return r, nil
}

func readModule(root, dir string) (Module, error) {
	file := path.Join(dir, "go.mod")
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
	if err != nil {
		return Module{}, err
	}
	f, err := modfile.Parse(file, data, nil)
	if err != nil {
		return Module{}, err
	}
	if f.Module == nil {
		return Module{}, fmt.Errorf("%s: no module directive", file)
	}
	return Module{Dir: dir, Path: f.Module.Mod.Path, File: f}, nil
}

// Ours reports whether modPath is the root module or a path below it.
func (r *Repo) Ours(modPath string) bool {
	return modPath == r.RootPath || strings.HasPrefix(modPath, r.RootPath+"/")
}

// Lookup returns the published module with path modPath.
func (r *Repo) Lookup(modPath string) (Module, bool) {
	i := slices.IndexFunc(r.Published, func(m Module) bool { return m.Path == modPath })
	if i < 0 {
		return Module{}, false
	}
	return r.Published[i], true
}

// cleanDir turns a go.work use path ("./pgstore", ".", "pgstore/") into the
// slash-separated relative form used by Module.Dir.
func cleanDir(p string) string {
	return path.Clean(filepath.ToSlash(p))
}

// RequiredVersion returns the one version at which the published modules
// require our modules (the version being prepared for release). It fails
// when none of them requires another, or when they disagree.
func (r *Repo) RequiredVersion() (string, error) {
	seen := map[string][]string{}
	var versions []string
	for _, m := range r.Published {
		for _, req := range m.File.Require {
			if !r.Ours(req.Mod.Path) {
				continue
			}
			v := req.Mod.Version
			if _, ok := seen[v]; !ok {
				versions = append(versions, v)
			}
			seen[v] = append(seen[v], path.Join(m.Dir, "go.mod")+": "+req.Mod.Path)
		}
	}
	switch len(versions) {
	case 0:
		return "", errors.New("no published module requires another of ours; name the version")
	case 1:
		return versions[0], nil
	}
	var b strings.Builder
	for _, v := range versions {
		fmt.Fprintf(&b, "\n\t%s: %s", v, strings.Join(seen[v], ", "))
	}
	return "", fmt.Errorf("our modules are required at several versions (run scripts/bump-version.sh):%s", b.String())
}
