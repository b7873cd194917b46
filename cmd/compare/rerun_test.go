package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRerunWithOtherSettingsIsRefused: a compare rerun in the same folder
// with another --batch (or --steps, --hidden, --data) reused the old runs
// and printed their numbers under the new heading.
func TestRerunWithOtherSettingsIsRefused(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cmp")
	compareOnce(t, out)
	before, err := os.ReadFile(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"--losses", "mbw,wgan-gp,vae", "--steps", "6", "--batch", "32", "--hidden", "16", "--eval-every", "3", "--out", out}
	for _, change := range []struct{ flag, value, setting string }{
		{"--batch", "16", "batch: 32 vs 16"},
		{"--steps", "8", "steps: 6 vs 8"},
		{"--hidden", "8", "model.hidden: [16] vs [8]"},
	} {
		args := append(append([]string{}, base...), change.flag, change.value)
		var so, se bytes.Buffer
		err := run(args, &so, &se)
		if err == nil || !strings.Contains(err.Error(), change.setting) || !strings.Contains(err.Error(), "--fresh") {
			t.Errorf("rerun with %s %s: %v, want an error naming %q", change.flag, change.value, err, change.setting)
		}
	}
	after, _ := os.ReadFile(filepath.Join(out, "results.csv"))
	if !bytes.Equal(before, after) {
		t.Error("a refused rerun changed results.csv")
	}
	// --fresh starts over and keeps the old compare aside.
	var so, se bytes.Buffer
	if err := run(append(append([]string{}, base...), "--batch", "16", "--fresh"), &so, &se); err != nil {
		t.Fatalf("--fresh: %v\n%s", err, se.String())
	}
	old, _ := filepath.Glob(out + ".previous-*")
	if len(old) != 1 {
		t.Fatalf("--fresh kept %v", old)
	}
	if b, err := os.ReadFile(filepath.Join(old[0], "results.csv")); err != nil || !bytes.Equal(b, before) {
		t.Fatalf("the previous results were not kept: %v", err)
	}
}

// TestDuplicateLossesAndSeeds: duplicated losses or seeds gave rows with a
// false "± 0" (and two runs writing one folder with --jobs 2).
func TestDuplicateLossesAndSeeds(t *testing.T) {
	for _, args := range [][]string{
		{"--losses", "vae,vae"}, {"--losses", "mbw,minibatch-w"}, {"--losses", "pot,aae"},
		{"--seeds", "1,2,1"}, {"--seed", "3", "--seeds", "1,2"},
	} {
		var so, se bytes.Buffer
		err := run(append(args, "--out", filepath.Join(t.TempDir(), "x"), "--steps", "2"), &so, &se)
		if err == nil || !(strings.Contains(err.Error(), "twice") || strings.Contains(err.Error(), "one of them")) {
			t.Errorf("%v: %v, want a duplicate error", args, err)
		}
	}
}

// TestSeedIsTheOneSeedFormOfSeeds: --seed N runs seed N.
func TestSeedIsTheOneSeedFormOfSeeds(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cmp")
	rows, _ := compareOnce(t, out, "--seed", "4")
	if len(rows) < 2 || rows[1][1] != "4" {
		t.Fatalf("rows %v, want seed 4", rows)
	}
	if _, err := os.Stat(filepath.Join(out, "vae-seed4")); err != nil {
		t.Fatal(err)
	}
}
