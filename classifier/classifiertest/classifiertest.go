// Package classifiertest provides classifier fixtures for the tests of
// the commands that load classifiers (cmd/compare, cmd/sample).
package classifiertest

import (
	"encoding/json"
	"testing"

	"otgen/checkpoints"
	"otgen/classifier"
)

// CelebA saves at path an untrained CelebA attribute classifier whose
// checkpoint records a mean attribute accuracy of acc.
// classifier.LoadOrTrainCelebA trusts the record, so a command uses (or
// refuses) the file without training one; the features of random weights
// are enough to check a command's columns, not their values (the
// classifier package tests those).
func CelebA(t testing.TB, path string, acc float64) {
	t.Helper()
	c, err := classifier.NewCelebA(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	f, err := checkpoints.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	if err := json.Unmarshal(f.Meta, &meta); err != nil {
		t.Fatal(err)
	}
	meta["info"].(map[string]any)["test_accuracy"] = acc
	if err := checkpoints.Write(path, meta, f.Tensors); err != nil {
		t.Fatal(err)
	}
}
