package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func compareOnce(t *testing.T, out string) ([][]string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args := []string{"--losses", "minibatch-w,wgan-gp,vae", "--steps", "6", "--batch", "32", "--hidden", "16", "--eval-every", "3", "--out", out}
	if err := run(args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	f, err := os.Open(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows, stdout.String()
}

func TestCompareTableFiguresAndDeterminism(t *testing.T) {
	dir := t.TempDir()
	rows, table := compareOnce(t, filepath.Join(dir, "a"))
	if len(rows) != 4 {
		t.Fatalf("results.csv has %d rows, want a header and 3 losses", len(rows))
	}
	for _, l := range []string{"| minibatch-w |", "| wgan-gp |", "| vae |", "eval_w2"} {
		if !strings.Contains(table, l) {
			t.Errorf("table lacks %q:\n%s", l, table)
		}
	}
	for _, f := range []string{"samples.png", "curves.png", "results.json", "vae-seed1/checkpoint.otgen"} {
		if _, err := os.Stat(filepath.Join(dir, "a", f)); err != nil {
			t.Error(err)
		}
	}
	// Same seeds, another folder: identical metrics (all but the timings).
	again, _ := compareOnce(t, filepath.Join(dir, "b"))
	for i := range rows {
		n := len(rows[i]) - 2 // wall_s and step_ms differ
		if strings.Join(rows[i][:n], ",") != strings.Join(again[i][:n], ",") {
			t.Fatalf("row %d differs:\n%v\n%v", i, rows[i], again[i])
		}
	}
	// Rerunning in a finished folder reads the runs instead of training.
	rerun, _ := compareOnce(t, filepath.Join(dir, "a"))
	for i := range rows {
		n := len(rows[i]) - 2
		if strings.Join(rows[i][:n], ",") != strings.Join(rerun[i][:n], ",") {
			t.Fatalf("rerun row %d differs", i)
		}
	}
}

func TestCompareBadSettings(t *testing.T) {
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{
		{"--losses", "gan"}, {"--losses", ""}, {"--steps", "0"}, {"--seeds", "x"},
		{"--losses", "minibatch-w", "--batch", "1"}, {"--hidden", "0"}, {"--data", "cifar"},
	} {
		args = append(args, "--out", t.TempDir())
		if err := run(args, &stdout, &stderr); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
