package atomicfile

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	if err := WriteBytes(filepath.Join(dir, "metrics.csv"), []byte("step\n")); err != nil {
		t.Fatal(err)
	}
	// What Write leaves when killed before its rename: a temporary file
	// made by the same os.CreateTemp call.
	var orphans []string
	for _, name := range []string{"metrics.csv", "samples.png"} {
		f, err := os.CreateTemp(dir, tempPrefix+name+tempInfix+"*")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		orphans = append(orphans, f.Name())
	}
	keep := []string{"metrics.csv", ".metrics.csv.tmp-", ".metrics.csv.tmp-12x", ".tmp-123", "metrics.csv.tmp-123", ".checkpoint.otgen-123.tmp"}
	for _, name := range keep[1:] {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".sub.tmp-1"), 0o755); err != nil {
		t.Fatal(err)
	}
	keep = append(keep, ".sub.tmp-1")
	removed, err := RemoveStaleTemps(dir)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	slices.Sort(orphans)
	if !slices.Equal(removed, orphans) {
		t.Errorf("removed %v, want %v", removed, orphans)
	}
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	slices.Sort(left)
	slices.Sort(keep)
	if !slices.Equal(left, keep) {
		t.Errorf("left %v, want %v", left, keep)
	}
	if removed, err := RemoveStaleTemps(filepath.Join(dir, "missing")); err != nil || len(removed) != 0 {
		t.Errorf("missing folder: %v, %v", removed, err)
	}
}
