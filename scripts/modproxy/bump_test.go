package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestBumpMovesEveryRequirementAndPinInPlace(t *testing.T) {
	root := writeRepo(t, nil)
	changed, err := Bump(loadFixture(t, root), "v0.3.0")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a/go.mod", "b/go.mod", "go.work"}; !slices.Equal(changed, want) {
		t.Errorf("changed = %q, want %q", changed, want)
	}
	if errs, _ := CheckRelease(loadFixture(t, root), "v0.3.0"); len(errs) > 0 {
		t.Errorf("after bumping to v0.3.0, CheckRelease(v0.3.0) = %q", errs)
	}
	// Only the versions change: the comments and the order of go.work's
	// lines, and the rest of each go.mod, stay.
	wantWork := strings.ReplaceAll(fixtureFiles()["go.work"], " v0.2.0 =>", " v0.3.0 =>")
	if got := readFile(t, filepath.Join(root, "go.work")); got != wantWork {
		t.Errorf("go.work =\n%s\nwant\n%s", got, wantWork)
	}
	wantB := strings.ReplaceAll(fixtureFiles()["b/go.mod"], "v0.2.0", "v0.3.0")
	if got := readFile(t, filepath.Join(root, "b", "go.mod")); got != wantB {
		t.Errorf("b/go.mod =\n%s\nwant\n%s", got, wantB)
	}
	if got := readFile(t, filepath.Join(root, "go.mod")); got != fixtureFiles()["go.mod"] {
		t.Errorf("the root go.mod, which requires none of ours, changed:\n%s", got)
	}
}

func TestBumpIsIdempotentAndReversible(t *testing.T) {
	root := writeRepo(t, nil)
	if _, err := Bump(loadFixture(t, root), "v1.4.0-rc.1"); err != nil {
		t.Fatal(err)
	}
	if changed, err := Bump(loadFixture(t, root), "v1.4.0-rc.1"); err != nil || len(changed) > 0 {
		t.Errorf("a second bump to the same version changed %q (err %v)", changed, err)
	}
	if _, err := Bump(loadFixture(t, root), "v0.2.0"); err != nil {
		t.Fatal(err)
	}
	for name, want := range fixtureFiles() {
		if got := readFile(t, filepath.Join(root, filepath.FromSlash(name))); got != want {
			t.Errorf("after a round trip %s =\n%s\nwant\n%s", name, got, want)
		}
	}
}

func TestBumpLeavesThirdPartyRequirementsAlone(t *testing.T) {
	root := writeRepo(t, map[string]string{
		"a/go.mod": "module example.com/acme/a\n\ngo 1.26.0\n\nrequire (\n\texample.com/acme v0.2.0\n\texample.org/dep v0.2.0 // indirect\n)\n",
	})
	if _, err := Bump(loadFixture(t, root), "v0.3.0"); err != nil {
		t.Fatal(err)
	}
	want := "module example.com/acme/a\n\ngo 1.26.0\n\nrequire (\n\texample.com/acme v0.3.0\n\texample.org/dep v0.2.0 // indirect\n)\n"
	if got := readFile(t, filepath.Join(root, "a", "go.mod")); got != want {
		t.Errorf("a/go.mod =\n%s\nwant\n%s", got, want)
	}
}

func TestBumpRejectsANonCanonicalVersion(t *testing.T) {
	root := writeRepo(t, nil)
	for _, v := range []string{"0.3.0", "v0.3", "v0.3.0+build", "latest"} {
		if _, err := Bump(loadFixture(t, root), v); err == nil {
			t.Errorf("Bump(%q) succeeded", v)
		}
	}
	for name, want := range fixtureFiles() {
		if got := readFile(t, filepath.Join(root, filepath.FromSlash(name))); got != want {
			t.Errorf("a rejected bump changed %s", name)
		}
	}
}
