package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"otgen/train"
	"path/filepath"
	"strconv"
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

// TestTimeBudget: with --time every run trains for the same wall-clock
// budget (the steps differ by loss), stops there as finished, and a rerun
// reuses it.
func TestTimeBudget(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cmp")
	var so, se bytes.Buffer
	args := []string{"--losses", "mbw,wgan-gp", "--time", "1500ms", "--batch", "32", "--hidden", "16", "--eval-every", "1000000", "--out", out}
	if err := run(args, &so, &se); err != nil {
		t.Fatalf("%v\n%s", err, se.String())
	}
	rows := readCSV(t, filepath.Join(out, "results.csv"))
	col := columns(rows[0])
	steps := map[string]string{}
	for _, r := range rows[1:] {
		wall, _ := strconv.ParseFloat(r[col["wall_s"]], 64)
		if wall < 1.5 {
			t.Errorf("%s stopped after %.2f s, before its 1.5 s budget", r[0], wall)
		}
		steps[r[0]] = r[col["steps"]]
		if n, _ := strconv.Atoi(r[col["steps"]]); n <= 0 || n >= 1<<30 {
			t.Errorf("%s: %d steps", r[0], n)
		}
	}
	if strings.Contains(se.String(), fmt.Sprint(train.UnlimitedSteps)) || !strings.Contains(so.String(), "1.5s per run") {
		t.Errorf("the log or table shows the internal step cap instead of the budget:\n%s\n%s", se.String(), so.String())
	}
	if steps["minibatch-w"] == steps["wgan-gp"] {
		t.Errorf("equal budgets gave equal steps %v: the budget is not a wall-clock one", steps)
	}
	se.Reset()
	if err := run(args, &so, &se); err != nil {
		t.Fatal(err)
	}
	if strings.Contains("\n"+se.String(), "\nstep ") || strings.Contains(se.String(), "(0 s done)") {
		t.Errorf("a finished budget run was trained again:\n%s", se.String())
	}
}

// columns maps the names of a CSV header to their indices.
func columns(header []string) map[string]int {
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	return col
}

// readCSV returns the records of the CSV file at path.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
