package checkpoints

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"otgen/internal/atomicfile"
)

// faultFS is the real file system with one injected failure: writes fail
// with ENOSPC once failAfter bytes are written (if failAfter >= 0), or the
// operation named by failAt fails.
type faultFS struct {
	failAfter int
	failAt    string // "create", "chmod", "sync", "close", "rename", "syncdir"
}

var errInjected = errors.New("injected fault")

func (f faultFS) CreateTemp(dir, pattern string) (atomicfile.File, error) {
	if f.failAt == "create" {
		return nil, errInjected
	}
	t, err := atomicfile.OS.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: t, fs: f}, nil
}

func (f faultFS) Rename(oldpath, newpath string) error {
	if f.failAt == "rename" {
		return errInjected
	}
	return atomicfile.OS.Rename(oldpath, newpath)
}

func (f faultFS) Remove(name string) error { return atomicfile.OS.Remove(name) }

func (f faultFS) SyncDir(dir string) error {
	if f.failAt == "syncdir" {
		return errInjected
	}
	return atomicfile.OS.SyncDir(dir)
}

type faultFile struct {
	atomicfile.File
	fs      faultFS
	written int
}

func (f *faultFile) Write(p []byte) (int, error) {
	if f.fs.failAfter >= 0 && f.written+len(p) > f.fs.failAfter {
		n, _ := f.File.Write(p[:f.fs.failAfter-f.written]) // a partial write, as on a full disk
		f.written += n
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	n, err := f.File.Write(p)
	f.written += n
	return n, err
}

func (f *faultFile) Chmod(m fs.FileMode) error {
	if f.fs.failAt == "chmod" {
		return errInjected
	}
	return f.File.Chmod(m)
}

func (f *faultFile) Sync() error {
	if f.fs.failAt == "sync" {
		return errInjected
	}
	return f.File.Sync()
}

func (f *faultFile) Close() error {
	err := f.File.Close()
	if f.fs.failAt == "close" {
		return errInjected
	}
	return err
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func wantOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	got := dirNames(t, dir)
	if strings.Join(got, "|") != strings.Join(names, "|") {
		t.Errorf("folder holds %q, want %q", got, names)
	}
}

func otherTensors() []Tensor {
	ts := make([]Tensor, 3)
	for i := range ts {
		data := make([]float32, 30000)
		for j := range data {
			data[j] = float32(i*j) * 0.5
		}
		ts[i] = Tensor{Name: fmt.Sprintf("layer%d", i), Shape: []int{300, 100}, Data: data}
	}
	return ts
}

func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "last.otgen")
	if err := Write(path, map[string]int{"step": 1}, sampleTensors()); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, f.Tensors, sampleTensors())
	if string(f.Meta) != `{"step":1}` {
		t.Errorf("meta = %s", f.Meta)
	}
	want := encodeSampleMeta(t, map[string]int{"step": 1}, sampleTensors())
	if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
		t.Error("Write and Encode produce different bytes")
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != FileMode {
		t.Errorf("mode = %v, %v; want %v", st.Mode(), err, FileMode)
	}

	// Overwrite.
	if err := Write(path, nil, otherTensors()); err != nil {
		t.Fatal(err)
	}
	f, err = Read(path)
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, f.Tensors, otherTensors())
	wantOnly(t, dir, "last.otgen")
}

func encodeSampleMeta(t *testing.T, meta any, ts []Tensor) []byte {
	var b bytes.Buffer
	if err := Encode(&b, meta, ts); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWriteRefusesInvalid(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.otgen")
	nan := []Tensor{{Name: "w", Shape: []int{2}, Data: []float32{1, float32(math.NaN())}}}
	err := Write(path, nil, nan)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "NaN") || !strings.Contains(err.Error(), path) {
		t.Errorf("Write(NaN) = %v, want ErrInvalid naming the path and NaN", err)
	}
	wantOnly(t, dir)

	// An existing checkpoint stays as it was.
	if err := Write(path, nil, sampleTensors()); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if err := Write(path, nil, nan); !errors.Is(err, ErrInvalid) {
		t.Errorf("Write(NaN) over a file = %v", err)
	}
	if err := Write(path, json.RawMessage("{"), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Write(bad meta) = %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("refused Write changed the existing file")
	}
	wantOnly(t, dir, "x.otgen")

	for _, p := range []string{"", dir + string(filepath.Separator), dir + string(filepath.Separator) + "..", "."} {
		if err := Write(p, nil, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("Write(%q) = %v, want ErrInvalid", p, err)
		}
	}
	wantOnly(t, dir, "x.otgen")
}

// TestWriteFaults fails a Write part-way in every step and checks that the
// previous checkpoint is intact and no temporary file remains.
func TestWriteFaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "last.otgen")
	if err := Write(path, "first", sampleTensors()); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	size := len(encodeSampleMeta(t, "second", otherTensors()))

	type fault struct {
		fs  faultFS
		msg string
	}
	var faults []fault
	for _, k := range []int{0, 1, 13, 22, 100, 1 << 16, 1<<16 + 5, size / 2, size - sumLen - 1, size - sumLen, size - 1} {
		faults = append(faults, fault{faultFS{failAfter: k}, "no space left on device"})
	}
	for _, at := range []string{"create", "chmod", "sync", "close", "rename"} {
		faults = append(faults, fault{faultFS{failAfter: -1, failAt: at}, errInjected.Error()})
	}
	for _, fl := range faults {
		name := fmt.Sprintf("failAfter=%d failAt=%q", fl.fs.failAfter, fl.fs.failAt)
		err := writeWith(fl.fs, path, "second", otherTensors())
		if err == nil || !strings.Contains(err.Error(), fl.msg) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want it to mention %q and the path", name, err, fl.msg)
		}
		if fl.fs.failAfter >= 0 && !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("%s: err = %v does not wrap ENOSPC", name, err)
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, first) {
			t.Fatalf("%s: the first checkpoint changed (err %v)", name, err)
		}
		if f, err := Read(path); err != nil || string(f.Meta) != `"first"` {
			t.Fatalf("%s: the first checkpoint no longer reads: %v", name, err)
		}
		wantOnly(t, dir, "last.otgen")
	}

	// With no previous checkpoint, a failed Write leaves nothing.
	fresh := filepath.Join(dir, "fresh.otgen")
	if err := writeWith(faultFS{failAfter: 100}, fresh, nil, otherTensors()); err == nil {
		t.Error("Write with a full disk succeeded")
	}
	wantOnly(t, dir, "last.otgen")

	// If only the folder sync fails, the new checkpoint is complete in place.
	err = writeWith(faultFS{failAfter: -1, failAt: "syncdir"}, path, "second", otherTensors())
	if err == nil || !strings.Contains(err.Error(), "sync of folder") {
		t.Errorf("syncdir fault: err = %v", err)
	}
	f, err := Read(path)
	if err != nil || string(f.Meta) != `"second"` {
		t.Errorf("after a syncdir fault: %v, %v; want the second checkpoint", f, err)
	}
	wantOnly(t, dir, "last.otgen")
}

func TestWriteMissingFolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "runs", "x", "last.otgen")
	err := Write(path, nil, sampleTensors())
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), path) {
		t.Errorf("Write into a missing folder = %v", err)
	}
	wantOnly(t, dir)
}

func TestWriteUnwritableFolder(t *testing.T) {
	dir := t.TempDir()

	// A parent that is a regular file fails for every user, root included.
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(file, "last.otgen"), nil, sampleTensors()); err == nil || !strings.Contains(err.Error(), "last.otgen") {
		t.Errorf("Write below a regular file = %v, want an error naming the path", err)
	}
	wantOnly(t, dir, "file")

	if os.Geteuid() == 0 {
		t.Skip("running as root, which ignores folder permissions")
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(ro, "last.otgen")
	if err := Write(path, "first", sampleTensors()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(ro, 0o755) // so that TempDir can clean up
	err := Write(path, "second", sampleTensors())
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), path) {
		t.Errorf("Write into a read-only folder = %v, want ErrPermission naming the path", err)
	}
	if f, err := Read(path); err != nil || string(f.Meta) != `"first"` {
		t.Errorf("first checkpoint after a refused Write: %v, %v", f, err)
	}
	wantOnly(t, ro, "last.otgen")
}
