package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The image flow defaults to the paper's m = 500 (capped by the sets) and
// reads up to 5,000 images of each set; the toys keep m = 100.
func TestFlowDefaults(t *testing.T) {
	src := imageFolder(t, "src", 120, cool)
	tgt := imageFolder(t, "tgt", 130, warm)
	_, stderr, err := runOT(t, "flow", "--source", src, "--target", tgt, "--size", "4", "--steps", "1", "--out", filepath.Join(t.TempDir(), "img"))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "120 particles to 130 targets of dimension 48, m=120, k=1") {
		t.Errorf("image defaults:\n%s", stderr)
	}
	_, stderr, err = runOT(t, "flow", "--toy", "8gaussians", "--n", "300", "--steps", "1", "--out", filepath.Join(t.TempDir(), "toy"))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "300 particles to 300 targets of dimension 2, m=100, k=3") {
		t.Errorf("toy defaults:\n%s", stderr)
	}
}
