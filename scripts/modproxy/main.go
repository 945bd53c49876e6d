// Command modproxy is the release tooling of the repository's Go modules.
// It is its own module, outside the root go.work and with a go.work of its
// own, so that its dependency (golang.org/x/mod) never enters the build list
// of the library's modules, and the go command run in its directory (CI's
// vet loop, scripts/test.sh) works on it alone.
//
// Usage:
//
//	modproxy check -version vX.Y.Z          the publishing rules (see CheckRelease)
//	modproxy proxy -version vX.Y.Z -out DIR a GOPROXY=file://DIR with every published module
//	modproxy list                           the published modules: "path<TAB>dir"
//	modproxy version                        the version at which our modules require each other
//	modproxy tags -version vX.Y.Z           the git tags of a release, in tagging order
//	modproxy bump -version vX.Y.Z           require our modules at vX.Y.Z everywhere
//
// Every subcommand takes -repo (the repository root, default ".") and
// -unpublished (comma-separated module directories that are never
// released; default: unpublishedDirs).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// unpublishedDirs are the directories of the repository's modules that are
// never released (tools), relative to the root: this module's, and any
// other tool module added later. Every other module must be used by go.work
// and is published.
var unpublishedDirs = []string{"scripts/modproxy"}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "modproxy:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: modproxy check|proxy|list|version|tags|bump [flags]")
	}
	cmd := args[0]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	repoDir := fs.String("repo", ".", "repository root (holds go.work)")
	unpublished := fs.String("unpublished", strings.Join(unpublishedDirs, ","), "comma-separated module directories that are never released")
	version := fs.String("version", "", "release version, such as v0.2.0")
	out := fs.String("out", "", "proxy directory to write (proxy)")
	commitTime := fs.String("time", "", "RFC 3339 time for the .info files (proxy; default now)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %q", cmd, fs.Args())
	}
	root, err := filepath.Abs(*repoDir)
	if err != nil {
		return err
	}
	var skip []string
	for _, d := range strings.Split(*unpublished, ",") {
		if d = strings.TrimSpace(d); d != "" {
			skip = append(skip, d)
		}
	}
	repo, err := LoadRepo(root, skip)
	if err != nil {
		return err
	}
	needVersion := func() error {
		if *version == "" {
			return fmt.Errorf("%s: -version is required", cmd)
		}
		return nil
	}

	switch cmd {
	case "list":
		for _, m := range repo.Published {
			fmt.Fprintf(stdout, "%s\t%s\n", m.Path, m.Dir)
		}
		return nil

	case "version":
		v, err := repo.RequiredVersion()
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, v)
		return nil

	case "check":
		if err := needVersion(); err != nil {
			return err
		}
		return check(repo, *version, stderr)

	case "tags":
		if err := needVersion(); err != nil {
			return err
		}
		if err := check(repo, *version, stderr); err != nil {
			return err
		}
		for _, m := range TagOrder(repo) {
			fmt.Fprintln(stdout, m.Tag(*version))
		}
		return nil

	case "bump":
		if err := needVersion(); err != nil {
			return err
		}
		changed, err := Bump(repo, *version)
		for _, f := range changed {
			fmt.Fprintln(stdout, f)
		}
		return err

	case "proxy":
		if err := needVersion(); err != nil {
			return err
		}
		if *out == "" {
			return fmt.Errorf("proxy: -out is required")
		}
		t := time.Now()
		if *commitTime != "" {
			if t, err = time.Parse(time.RFC3339, *commitTime); err != nil {
				return fmt.Errorf("proxy: -time: %w", err)
			}
		}
		if err := check(repo, *version, stderr); err != nil {
			return err
		}
		served, err := WriteProxy(repo, *version, t, *out)
		if err != nil {
			return err
		}
		var sums strings.Builder
		for _, s := range served {
			sums.WriteString(s.GoSum())
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%d files\t%d bytes\n", s.Path, s.Dir, s.Tag(*version), s.Files, s.ZipSize)
		}
		// The go.sum lines of the served versions, for builds that must
		// not write go.sum (go build -mod=readonly -modfile=...).
		return os.WriteFile(filepath.Join(*out, "go.sum"), []byte(sums.String()), 0o644)
	}
	return fmt.Errorf("unknown subcommand %q (want check, proxy, list, version, tags or bump)", cmd)
}

// check prints the warnings and errors of CheckRelease and fails on errors.
func check(repo *Repo, version string, stderr io.Writer) error {
	errs, warnings := CheckRelease(repo, version)
	for _, w := range warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	for _, e := range errs {
		fmt.Fprintln(stderr, "error:", e)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d problem(s) block publishing %s", len(errs), version)
	}
	return nil
}
