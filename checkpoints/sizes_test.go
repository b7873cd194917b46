package checkpoints

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestReadAbsurdSizes reads checkpoints whose SHA-256 is correct (the
// file was re-hashed after editing) but whose header declares tensors far
// larger than the file: each is a one-line ErrCorrupt error naming the
// file and the tensor, and costs no allocation in proportion to the
// declared sizes (the reader bounds every declared size by the bytes
// present before it allocates).
func TestReadAbsurdSizes(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"square":   `{"meta":{"hidden":[99999999999]},"tensors":[{"name":"w","shape":[100000,100000]}]}`,
		"overflow": `{"meta":1,"tensors":[{"name":"w","shape":[4611686018427387904,4]}]}`,
		"second":   `{"meta":1,"tensors":[{"name":"a","shape":[1]},{"name":"w","shape":[99999999999]}]}`,
		"zero-sum": `{"meta":1,"tensors":[{"name":"z","shape":[0,99999999999]},{"name":"w","shape":[99999999999,1]}]}`,
	}
	for name, hdr := range cases {
		path := filepath.Join(dir, name+".otgen")
		if err := os.WriteFile(path, seal(Version, hdr, le(1, 2, 3, 4)), 0o644); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f, err := Read(path)
		runtime.ReadMemStats(&after)
		if f != nil || !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: Read = %v, %v; want an ErrCorrupt error", name, f, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, path) || !strings.Contains(msg, `tensor "w"`) || strings.Contains(msg, "\n") {
			t.Errorf("%s: message %q does not name the file and the tensor in one line", name, msg)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%s: rejecting it allocated %d bytes", name, alloc)
		}
		t.Log(msg)
	}
}

// TestReadDirectory gives Read a folder: the error says so (before: "not
// a regular file").
func TestReadDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Read(dir)
	if err == nil || !strings.Contains(err.Error(), dir+" is a directory") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Read of a folder: %v", err)
	}
}

// TestWriteDirectory gives Write a folder as the file: an ErrInvalid error
// before anything is written (before: the whole checkpoint was encoded
// into a temporary file, then the rename failed).
func TestWriteDirectory(t *testing.T) {
	dir := t.TempDir()
	err := Write(dir, "m", nil)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), dir+": is a directory") {
		t.Errorf("Write to a folder: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("Write to a folder left %d entries beside it", len(entries)-1)
	}
}
