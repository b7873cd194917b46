package checkpoints

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"otgen/internal/atomicfile"
)

// killedFS is a file system on which Write dies between writing its
// temporary file and renaming it, as under SIGKILL: the rename fails and
// the cleanup never happens.
type killedFS struct{}

func (killedFS) CreateTemp(dir, pattern string) (atomicfile.File, error) {
	return atomicfile.OS.CreateTemp(dir, pattern)
}
func (killedFS) Rename(string, string) error { return errInjected }
func (killedFS) Remove(string) error         { return nil }
func (killedFS) SyncDir(string) error        { return nil }

// TestRemoveStaleTemps: the temporary files of killed checkpoint writes
// are removed by the one atomic writer's cleaner, and nothing else is.
func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "checkpoint.otgen")
	if err := Write(path, "good", sampleTensors()); err != nil {
		t.Fatal(err)
	}
	// Two killed writes leave two temporary files of Write's own naming.
	for range 2 {
		if err := writeWith(killedFS{}, path, "killed", sampleTensors()); err == nil {
			t.Fatal("the killed write succeeded")
		}
	}
	entries, _ := os.ReadDir(dir)
	var orphans []string
	for _, e := range entries {
		if e.Name() != "checkpoint.otgen" {
			orphans = append(orphans, filepath.Join(dir, e.Name()))
		}
	}
	if len(orphans) != 2 {
		t.Fatalf("the killed writes left %v, want two temporary files", orphans)
	}
	// Files that are not Write's temporary files stay.
	keep := []string{
		"checkpoint.otgen",
		".checkpoint.otgen.tmp-12ab",    // not a CreateTemp number
		".checkpoint.otgen.tmp-",        // no number
		".tmp-123",                      // no name
		"checkpoint.otgen.tmp-123",      // no leading dot
		".checkpoint.otgen.tmp-123.bak", // another suffix
		"notes.txt",
	}
	for _, name := range keep[1:] {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".folder-1.tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	keep = append(keep, ".folder-1.tmp")
	removed, err := atomicfile.RemoveStaleTemps(dir)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if !slices.Equal(removed, orphans) {
		t.Errorf("removed %v, want %v", removed, orphans)
	}
	entries, _ = os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	slices.Sort(left)
	slices.Sort(keep)
	if !slices.Equal(left, keep) {
		t.Errorf("left %v, want %v", left, keep)
	}
	if f, err := Read(path); err != nil || string(f.Meta) != `"good"` {
		t.Errorf("the checkpoint after the cleanup: %v", err)
	}
	// A missing folder has nothing to clean.
	if removed, err := atomicfile.RemoveStaleTemps(filepath.Join(dir, "missing")); err != nil || len(removed) != 0 {
		t.Errorf("missing folder: %v, %v", removed, err)
	}
}
