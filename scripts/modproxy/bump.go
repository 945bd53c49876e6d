package main

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// Bump moves the repository to version: every requirement of one of our
// modules, in every published go.mod, and every version-pinned replace of
// our modules in go.work. Comments, layout and all other lines are kept.
// It returns the files it rewrote (relative to the root); a second run with
// the same version rewrites nothing.
func Bump(r *Repo, version string) ([]string, error) {
	if semver.Canonical(version) != version {
		return nil, fmt.Errorf("%q is not a canonical semantic version such as v1.2.3", version)
	}
	var changed []string
	for _, m := range r.Published {
		dirty := false
		for _, req := range m.File.Require {
			if r.Ours(req.Mod.Path) && req.Mod.Version != version {
				if err := m.File.AddRequire(req.Mod.Path, version); err != nil {
					return changed, err
				}
				dirty = true
			}
		}
		if !dirty {
			continue
		}
		m.File.Cleanup()
		data, err := m.File.Format()
		if err != nil {
			return changed, err
		}
		file := path.Join(m.Dir, "go.mod")
		if err := writeKeepingMode(filepath.Join(r.Root, filepath.FromSlash(file)), data); err != nil {
			return changed, err
		}
		changed = append(changed, file)
	}

	dirty := false
	for _, rep := range r.Work.Replace {
		if !r.Ours(rep.Old.Path) || rep.Old.Version == "" || rep.Old.Version == version {
			continue
		}
		if err := setReplacedVersion(rep, version); err != nil {
			return changed, err
		}
		dirty = true
	}
	if dirty {
		r.Work.Cleanup()
		data := modfile.Format(r.Work.Syntax)
		if err := writeKeepingMode(filepath.Join(r.Root, "go.work"), data); err != nil {
			return changed, err
		}
		changed = append(changed, "go.work")
	}
	return changed, nil
}

// setReplacedVersion rewrites the left-hand version of a go.work replace in
// place. (WorkFile.AddReplace would append a new line instead, which moves
// it, and DropReplace+AddReplace reorders the file.) The line's tokens are
// `replace path version => new` on their own, or `path version => new`
// inside a replace block.
func setReplacedVersion(rep *modfile.Replace, version string) error {
	tok := rep.Syntax.Token
	quoted := modfile.AutoQuote(rep.Old.Path)
	for i := 0; i+1 < len(tok); i++ {
		if tok[i] == quoted && tok[i+1] == rep.Old.Version {
			tok[i+1] = version
			rep.Old.Version = version
			return nil
		}
	}
	return fmt.Errorf("go.work: cannot find the version of `replace %s %s` on its line", rep.Old.Path, rep.Old.Version)
}

func writeKeepingMode(file string, data []byte) error {
	old, err := os.ReadFile(file)
	if err == nil && bytes.Equal(old, data) {
		return nil
	}
	info, err := os.Stat(file)
	if err != nil {
		return err
	}
	return os.WriteFile(file, data, info.Mode().Perm())
}
