package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func compareOnce(t *testing.T, out string, extra ...string) ([][]string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args := []string{"--losses", "mbw,wgan-gp,vae", "--steps", "6", "--batch", "32", "--hidden", "16", "--eval-every", "3", "--out", out}
	if err := run(append(args, extra...), &stdout, &stderr); err != nil {
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
	// Rerunning in a finished folder reads the runs instead of training,
	// timings included.
	rerun, _ := compareOnce(t, filepath.Join(dir, "a"))
	for i := range rows {
		if strings.Join(rows[i], ",") != strings.Join(rerun[i], ",") {
			t.Fatalf("rerun row %d differs:\n%v\n%v", i, rows[i], rerun[i])
		}
	}
	// Two runs at a time: the same table.
	par, _ := compareOnce(t, filepath.Join(dir, "c"), "--jobs", "2")
	for i := range rows {
		n := len(rows[i]) - 2
		if strings.Join(rows[i][:n], ",") != strings.Join(par[i][:n], ",") {
			t.Fatalf("--jobs 2 row %d differs:\n%v\n%v", i, rows[i], par[i])
		}
	}
}

// TestCompareResumesAfterInterrupt: a compare interrupted after its first
// run, then run again, trains only the unfinished losses and ends with the
// table of an uninterrupted compare.
func TestCompareResumesAfterInterrupt(t *testing.T) {
	dir := t.TempDir()
	want, _ := compareOnce(t, filepath.Join(dir, "whole"))

	out := filepath.Join(dir, "cut")
	args := []string{"--losses", "mbw,wgan-gp,vae", "--steps", "6", "--batch", "32", "--hidden", "16", "--eval-every", "3", "--out", out}
	ctx, cancel := context.WithCancel(context.Background())
	afterRun = func(result) { cancel() }
	var stdout, stderr bytes.Buffer
	err := runContext(ctx, args, &stdout, &stderr)
	afterRun = nil
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "interrupted") {
		t.Fatalf("no interruption message:\n%s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(out, "results.csv")); err == nil {
		t.Fatal("an interrupted compare wrote results.csv")
	}
	stdout.Reset()
	stderr.Reset()
	if err := run(args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "minibatch-w seed 1: steps 6..6") {
		t.Errorf("the finished run was trained again:\n%s", stderr.String())
	}
	f, err := os.Open(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows after resuming, want %d", len(got), len(want))
	}
	for i := range want {
		n := len(want[i]) - 2
		if strings.Join(want[i][:n], ",") != strings.Join(got[i][:n], ",") {
			t.Fatalf("row %d after resuming differs:\n%v\n%v", i, want[i], got[i])
		}
	}
}

func TestCompareBadSettings(t *testing.T) {
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{
		{"--losses", "gan"}, {"--losses", ""}, {"--steps", "0"}, {"--seeds", "x"},
		{"--losses", "minibatch-w", "--batch", "1"}, {"--hidden", "0"}, {"--data", "cifar"}, {"--jobs", "0"},
	} {
		args = append(args, "--out", t.TempDir())
		if err := run(args, &stdout, &stderr); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
