package main

import (
	"fmt"
	"path"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// CheckRelease reports every reason the repository's modules cannot be
// published together at version. It returns errors, which block a release,
// and warnings, which are printed but do not.
//
// The rules:
//   - every go.mod is either used by go.work (published) or declared
//     unpublished: a forgotten `go work use` would otherwise leave a module
//     out of both development and the release;
//   - each published module's path is the root's path plus its directory,
//     which is what lets the go command find it and a "<dir>/vX.Y.Z" tag
//     publish it;
//   - no published go.mod replaces one of our modules, nor points any module
//     at a directory: replacements in a dependency are ignored by every
//     module that requires it, so what we test is not what users build;
//   - a published module requires our modules only at version, and only
//     modules that are themselves published;
//   - go.work pins each of our modules that another requires with a
//     "replace <path> <version> => ./<dir>" line, so the workspace resolves
//     the unpublished version from the working tree.
func CheckRelease(r *Repo, version string) (errs, warnings []string) {
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	warn := func(format string, args ...any) { warnings = append(warnings, fmt.Sprintf(format, args...)) }

	if semver.Canonical(version) != version {
		fail("release version %q is not a canonical semantic version such as v1.2.3", version)
		return errs, warnings
	}
	for _, dir := range r.Stray {
		fail("%s/go.mod: module not used by go.work; run `go work use ./%s` to publish it, or add it to unpublishedDirs in scripts/modproxy/main.go if it is a tool", dir, dir)
	}

	required := map[string][]string{} // our module path -> directories of the modules requiring it
	for _, m := range r.Published {
		gomod := path.Join(m.Dir, "go.mod")
		want := r.RootPath
		if m.Dir != "." {
			want = r.RootPath + "/" + m.Dir
		}
		if m.Path != want {
			fail("%s: module path %s, want %s (the path must match the directory for the tag %s to publish it)", gomod, m.Path, want, m.Tag(version))
		}
		if err := module.Check(m.Path, version); err != nil {
			fail("%s: %v", gomod, err)
		}
		if m.File.Go == nil {
			fail("%s: no go directive", gomod)
		}
		for _, rep := range m.File.Replace {
			switch {
			case r.Ours(rep.Old.Path):
				fail("%s: replace of our module %s; the workspace (go.work) provides it during development, and users never see a replace", gomod, rep.Old.Path)
			case rep.New.Version == "":
				fail("%s: replace %s => %s points at a directory, which no user of this module has", gomod, rep.Old.Path, rep.New.Path)
			default:
				warn("%s: replace %s => %s@%s is ignored by every module that requires %s", gomod, rep.Old.Path, rep.New.Path, rep.New.Version, m.Path)
			}
		}
		for _, req := range m.File.Require {
			if !r.Ours(req.Mod.Path) {
				continue
			}
			if _, ok := r.Lookup(req.Mod.Path); !ok {
				fail("%s: requires %s, which is not a published module of this repository", gomod, req.Mod.Path)
				continue
			}
			if req.Mod.Version != version {
				fail("%s: requires %s %s, want the release version %s (run scripts/bump-version.sh %s)", gomod, req.Mod.Path, req.Mod.Version, version, version)
			}
			required[req.Mod.Path] = append(required[req.Mod.Path], m.Dir)
		}
	}

	pinned := map[string]bool{}
	for _, rep := range r.Work.Replace {
		if !r.Ours(rep.Old.Path) {
			continue
		}
		m, ok := r.Lookup(rep.Old.Path)
		if !ok {
			fail("go.work: replace of %s, which is not a published module of this repository", rep.Old.Path)
			continue
		}
		if rep.Old.Version != version {
			fail("go.work: replace %s %q, want the version pinned to the release version: replace %s %s => ./%s", rep.Old.Path, rep.Old.Version, rep.Old.Path, version, m.Dir)
		}
		if rep.New.Version != "" || cleanDir(rep.New.Path) != m.Dir {
			fail("go.work: replace %s => %s %s, want => ./%s", rep.Old.Path, rep.New.Path, rep.New.Version, m.Dir)
		}
		pinned[rep.Old.Path] = true
	}
	for _, m := range r.Published {
		if users := required[m.Path]; len(users) > 0 && !pinned[m.Path] {
			fail("go.work: %s is required by %v but has no `replace %s %s => ./%s` line; the workspace would try to download it", m.Path, users, m.Path, version, m.Dir)
		}
	}
	return errs, warnings
}
