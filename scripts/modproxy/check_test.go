package main

import (
	"strings"
	"testing"
)

func TestLoadRepoSortsPublishedAndSetsAsideTheTool(t *testing.T) {
	r := loadFixture(t, writeRepo(t, nil))
	var dirs []string
	for _, m := range r.Published {
		dirs = append(dirs, m.Dir)
	}
	if got := strings.Join(dirs, " "); got != ". a b" {
		t.Errorf("published dirs = %q, want %q", got, ". a b")
	}
	if len(r.Unpublished) != 1 || r.Unpublished[0].Dir != "tools/rel" {
		t.Errorf("unpublished = %+v, want tools/rel", r.Unpublished)
	}
	if r.RootPath != "example.com/acme" {
		t.Errorf("RootPath = %q", r.RootPath)
	}
}

func TestLoadRepoRejectsAUsedDirectoryWithoutGoMod(t *testing.T) {
	root := writeRepo(t, map[string]string{"b/go.mod": "", "b/b.go": ""})
	if _, err := LoadRepo(root, []string{"tools/rel"}); err == nil || !strings.Contains(err.Error(), "./b") {
		t.Fatalf("LoadRepo = %v, want an error naming ./b", err)
	}
}

func TestCheckReleaseAcceptsTheFixture(t *testing.T) {
	errs, warnings := CheckRelease(loadFixture(t, writeRepo(t, nil)), "v0.2.0")
	if len(errs) > 0 || len(warnings) > 0 {
		t.Fatalf("errs = %q, warnings = %q; want none", errs, warnings)
	}
}

func TestCheckReleaseRejects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edits   map[string]string
		version string
		want    string
	}{
		{
			name:  "replace of the root in a nested go.mod",
			edits: map[string]string{"a/go.mod": "module example.com/acme/a\n\ngo 1.26.0\n\nrequire example.com/acme v0.2.0\n\nreplace example.com/acme => ../\n"},
			want:  "a/go.mod: replace of our module example.com/acme",
		},
		{
			name:  "versioned replace of a nested module",
			edits: map[string]string{"b/go.mod": strings.Replace(fixtureFiles()["b/go.mod"], "\n)\n", "\n)\n\nreplace example.com/acme/a v0.2.0 => example.com/fork/a v0.2.1\n", 1)},
			want:  "b/go.mod: replace of our module example.com/acme/a",
		},
		{
			name:  "third-party module replaced by a directory",
			edits: map[string]string{"a/go.mod": fixtureFiles()["a/go.mod"] + "\nreplace example.org/dep => ../dep\n"},
			want:  "a/go.mod: replace example.org/dep => ../dep points at a directory",
		},
		{
			name:  "root required at an older version",
			edits: map[string]string{"a/go.mod": "module example.com/acme/a\n\ngo 1.26.0\n\nrequire example.com/acme v0.1.0\n"},
			want:  "a/go.mod: requires example.com/acme v0.1.0, want the release version v0.2.0",
		},
		{
			name:    "every requirement behind the release being checked",
			version: "v0.3.0",
			want:    "b/go.mod: requires example.com/acme/a v0.2.0, want the release version v0.3.0",
		},
		{
			name:  "requirement of an unpublished module of ours",
			edits: map[string]string{"a/go.mod": fixtureFiles()["a/go.mod"] + "require example.com/acme/tools/rel v0.2.0\n"},
			want:  "a/go.mod: requires example.com/acme/tools/rel, which is not a published module",
		},
		{
			name:  "go.mod that go.work does not use",
			edits: map[string]string{"c/go.mod": "module example.com/acme/c\n\ngo 1.26.0\n"},
			want:  "c/go.mod: module not used by go.work",
		},
		{
			name:  "module path that does not match its directory",
			edits: map[string]string{"b/go.mod": strings.Replace(fixtureFiles()["b/go.mod"], "module example.com/acme/b", "module example.com/acme/bee", 1)},
			want:  "b/go.mod: module path example.com/acme/bee, want example.com/acme/b",
		},
		{
			name:  "no go directive",
			edits: map[string]string{"a/go.mod": "module example.com/acme/a\n\nrequire example.com/acme v0.2.0\n"},
			want:  "a/go.mod: no go directive",
		},
		{
			name:  "go.work without the pin of a required module",
			edits: map[string]string{"go.work": strings.Replace(fixtureFiles()["go.work"], "replace example.com/acme/a v0.2.0 => ./a // a\n", "", 1)},
			want:  "go.work: example.com/acme/a is required by [b] but has no `replace example.com/acme/a v0.2.0 => ./a` line",
		},
		{
			name:  "go.work pin at another version",
			edits: map[string]string{"go.work": strings.Replace(fixtureFiles()["go.work"], "example.com/acme/a v0.2.0 => ./a", "example.com/acme/a v0.1.0 => ./a", 1)},
			want:  `go.work: replace example.com/acme/a "v0.1.0", want the version pinned`,
		},
		{
			name:  "go.work pin without a version",
			edits: map[string]string{"go.work": strings.Replace(fixtureFiles()["go.work"], "example.com/acme/a v0.2.0 => ./a", "example.com/acme/a => ./a", 1)},
			want:  `go.work: replace example.com/acme/a "", want the version pinned`,
		},
		{
			name:  "go.work pin pointing at the wrong directory",
			edits: map[string]string{"go.work": strings.Replace(fixtureFiles()["go.work"], "example.com/acme/a v0.2.0 => ./a", "example.com/acme/a v0.2.0 => ./b", 1)},
			want:  "go.work: replace example.com/acme/a => ./b , want => ./a",
		},
		{
			name:    "version that is not canonical semver",
			version: "v0.2",
			want:    `release version "v0.2" is not a canonical semantic version`,
		},
		{
			name:    "major version 2 without a /v2 module path",
			version: "v2.0.0",
			want:    "go.mod: example.com/acme@v2.0.0: invalid version: should be v0 or v1, not v2",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			version := tc.version
			if version == "" {
				version = "v0.2.0"
			}
			errs, _ := CheckRelease(loadFixture(t, writeRepo(t, tc.edits)), version)
			for _, e := range errs {
				if strings.Contains(e, tc.want) {
					return
				}
			}
			t.Errorf("errors %q\ndo not include %q", errs, tc.want)
		})
	}
}

func TestCheckReleaseOnlyWarnsAboutAVersionedThirdPartyReplace(t *testing.T) {
	root := writeRepo(t, map[string]string{"a/go.mod": fixtureFiles()["a/go.mod"] + "\nreplace example.org/dep v1.0.0 => example.org/fork v1.0.1\n"})
	errs, warnings := CheckRelease(loadFixture(t, root), "v0.2.0")
	if len(errs) > 0 {
		t.Fatalf("errs = %q, want none", errs)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "is ignored by every module that requires example.com/acme/a") {
		t.Fatalf("warnings = %q, want one about the ignored replace", warnings)
	}
}

func TestRequiredVersion(t *testing.T) {
	v, err := loadFixture(t, writeRepo(t, nil)).RequiredVersion()
	if err != nil || v != "v0.2.0" {
		t.Fatalf("RequiredVersion = %q, %v; want v0.2.0", v, err)
	}

	split := writeRepo(t, map[string]string{"a/go.mod": "module example.com/acme/a\n\ngo 1.26.0\n\nrequire example.com/acme v0.1.0\n"})
	_, err = loadFixture(t, split).RequiredVersion()
	if err == nil || !strings.Contains(err.Error(), "v0.1.0: a/go.mod: example.com/acme") {
		t.Fatalf("RequiredVersion with a split = %v, want an error naming a/go.mod at v0.1.0", err)
	}

	none := writeRepo(t, map[string]string{
		"a/go.mod": "module example.com/acme/a\n\ngo 1.26.0\n",
		"b/go.mod": "module example.com/acme/b\n\ngo 1.26.0\n",
	})
	if _, err := loadFixture(t, none).RequiredVersion(); err == nil {
		t.Fatal("RequiredVersion with no requirement of ours succeeded")
	}
}

func TestTagOrderPutsEachModuleAfterWhatItRequires(t *testing.T) {
	// a sorts before b; a requiring b must put b's tag first.
	root := writeRepo(t, map[string]string{
		"a/go.mod": "module example.com/acme/a\n\ngo 1.26.0\n\nrequire (\n\texample.com/acme v0.2.0\n\texample.com/acme/b v0.2.0\n)\n",
		"b/go.mod": "module example.com/acme/b\n\ngo 1.26.0\n\nrequire example.com/acme v0.2.0\n",
	})
	var tags []string
	for _, m := range TagOrder(loadFixture(t, root)) {
		tags = append(tags, m.Tag("v0.2.0"))
	}
	if got, want := strings.Join(tags, " "), "v0.2.0 b/v0.2.0 a/v0.2.0"; got != want {
		t.Errorf("tags = %q, want %q", got, want)
	}
}
