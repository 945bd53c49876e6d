package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// Served is one module version written to the proxy, with the go.sum lines a
// user's go command would record for it.
type Served struct {
	Module
	Version string
	Files   int
	ZipSize int64
	ZipHash string // h1: hash of the zip, as in "path version h1:..."
	ModHash string // h1: hash of go.mod, as in "path version/go.mod h1:..."
}

// GoSum returns the two go.sum lines for s.
func (s Served) GoSum() string {
	return fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", s.Path, s.Version, s.ZipHash, s.Path, s.Version, s.ModHash)
}

// WriteProxy writes every published module of r at version into out, laid
// out as a GOPROXY (https://go.dev/ref/mod#goproxy-protocol) that
// GOPROXY=file://<out> serves: <escaped path>/@v/{list,<v>.info,<v>.mod,<v>.zip}.
// Each zip holds what the go command would download for the tag: the
// module's directory without nested modules, listed and built by
// golang.org/x/mod/zip, which also enforces the module zip limits. commitTime is the .info time.
func WriteProxy(r *Repo, version string, commitTime time.Time, out string) ([]Served, error) {
	var served []Served
	for _, m := range r.Published {
		s, err := serveModule(r.Root, m, version, commitTime, out)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", m.Path, m.Dir, err)
		}
		served = append(served, s)
	}
	return served, nil
}

func serveModule(root string, m Module, version string, commitTime time.Time, out string) (Served, error) {
	dir := filepath.Join(root, filepath.FromSlash(m.Dir))
	checked, err := modzip.CheckDir(dir)
	if err != nil {
		var msgs []string
		for _, fe := range checked.Invalid {
			msgs = append(msgs, fe.Error())
		}
		if checked.SizeError != nil {
			msgs = append(msgs, checked.SizeError.Error())
		}
		if len(msgs) == 0 {
			msgs = append(msgs, err.Error())
		}
		return Served{}, fmt.Errorf("cannot be a module zip:\n\t%s", strings.Join(msgs, "\n\t"))
	}
	if bins := executables(checked.Valid); len(bins) > 0 {
		return Served{}, fmt.Errorf("the module zip would ship compiled executables (build output committed or left in the tree?):\n\t%s", strings.Join(bins, "\n\t"))
	}

	escPath, err := module.EscapePath(m.Path)
	if err != nil {
		return Served{}, err
	}
	escVer, err := module.EscapeVersion(version)
	if err != nil {
		return Served{}, err
	}
	vdir := filepath.Join(out, filepath.FromSlash(escPath), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return Served{}, err
	}
	base := filepath.Join(vdir, escVer)

	files, err := zipFiles(dir, checked.Valid)
	if err != nil {
		return Served{}, err
	}
	var zipBuf bytes.Buffer
	if err := modzip.Create(&zipBuf, module.Version{Path: m.Path, Version: version}, files); err != nil {
		return Served{}, err
	}
	if err := os.WriteFile(base+".zip", zipBuf.Bytes(), 0o644); err != nil {
		return Served{}, err
	}
	goMod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return Served{}, err
	}
	if err := os.WriteFile(base+".mod", goMod, 0o644); err != nil {
		return Served{}, err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    string
	}{version, commitTime.UTC().Format(time.RFC3339)})
	if err != nil {
		return Served{}, err
	}
	if err := os.WriteFile(base+".info", info, 0o644); err != nil {
		return Served{}, err
	}
	if err := addToList(filepath.Join(vdir, "list"), version); err != nil {
		return Served{}, err
	}

	zipHash, err := dirhash.HashZip(base+".zip", dirhash.Hash1)
	if err != nil {
		return Served{}, err
	}
	modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(goMod)), nil
	})
	if err != nil {
		return Served{}, err
	}
	return Served{
		Module:  m,
		Version: version,
		Files:   len(checked.Valid),
		ZipSize: int64(zipBuf.Len()),
		ZipHash: zipHash,
		ModHash: modHash,
	}, nil
}

// zipFiles turns the files CheckDir found valid (the files CreateFromDir
// would zip: the module's directory without nested modules, version control
// directories or vendor trees) into zip entries, less a top-level ".git"
// file. That file is what a git worktree or submodule has instead of a .git
// directory; CreateFromDir skips only the directory, and a zip made from a
// tag never holds either.
func zipFiles(dir string, valid []string) ([]modzip.File, error) {
	var files []modzip.File
	for _, p := range valid {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return nil, err
		}
		if rel == ".git" {
			continue
		}
		files = append(files, diskFile{slashPath: filepath.ToSlash(rel), path: p})
	}
	return files, nil
}

// diskFile is a file of the working tree as a module zip entry.
type diskFile struct {
	slashPath string
	path      string
}

func (f diskFile) Path() string                 { return f.slashPath }
func (f diskFile) Lstat() (os.FileInfo, error)  { return os.Lstat(f.path) }
func (f diskFile) Open() (io.ReadCloser, error) { return os.Open(f.path) }

// addToList adds version to a proxy's list file, keeping the versions it
// already names (a proxy may serve several versions of a module).
func addToList(listFile, version string) error {
	data, err := os.ReadFile(listFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	versions := strings.Fields(string(data))
	if !slices.Contains(versions, version) {
		versions = append(versions, version)
	}
	semver.Sort(versions)
	return os.WriteFile(listFile, []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}

// executableMagic holds the first bytes of ELF and Mach-O files (both byte
// orders, 32 and 64 bit, and universal binaries).
var executableMagic = [][]byte{
	[]byte("\x7fELF"),
	{0xfe, 0xed, 0xfa, 0xce}, {0xce, 0xfa, 0xed, 0xfe},
	{0xfe, 0xed, 0xfa, 0xcf}, {0xcf, 0xfa, 0xed, 0xfe},
	{0xca, 0xfe, 0xba, 0xbe},
}

// executables returns the files among paths that are compiled executables.
// A module zip is source: a binary in it is build output committed by
// accident, and every user of the module would download it.
func executables(paths []string) []string {
	var found []string
	for _, p := range paths {
		ok, err := isExecutable(p)
		if err != nil {
			continue // CreateFromDir reports unreadable files itself.
		}
		if ok {
			found = append(found, p)
		}
	}
	return found
}

// isExecutable reports whether the file at p starts like an ELF, Mach-O or
// PE executable. A PE file is recognised by its "MZ" stub and the "PE\0\0"
// signature the stub points at, so that a text file that happens to begin
// with "MZ" is not mistaken for one.
func isExecutable(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, 0x40)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, err
	}
	head = head[:n]
	for _, magic := range executableMagic {
		if bytes.HasPrefix(head, magic) {
			return true, nil
		}
	}
	if len(head) < 0x40 || !bytes.HasPrefix(head, []byte("MZ")) {
		return false, nil
	}
	sig := make([]byte, 4)
	if _, err := f.ReadAt(sig, int64(binary.LittleEndian.Uint32(head[0x3c:]))); err != nil {
		return false, nil
	}
	return bytes.Equal(sig, []byte("PE\x00\x00")), nil
}
