package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otgen/classifier"
)

// TestQuickTryKeepsCache runs the documented quick try without --out:
// the cached classifier that cmd/compare uses is left as it was (before,
// it was replaced by the 100-digit classifier), no file is created, and
// the output says to pass --out.
func TestQuickTryKeepsCache(t *testing.T) {
	dir := mnistDir(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	cache, err := classifier.DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	for _, existing := range []bool{true, false} {
		os.RemoveAll(filepath.Dir(cache))
		want := []byte("the cached classifier, not to be touched")
		if existing {
			if err := os.MkdirAll(filepath.Dir(cache), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(cache, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var out, errs bytes.Buffer
		if err := run(context.Background(), []string{"--data-dir", dir, "--limit", "100", "--epochs", "1"}, &out, &errs, false); err != nil {
			t.Fatalf("quick try: %v\n%s", err, errs.String())
		}
		got, err := os.ReadFile(cache)
		switch {
		case existing && !bytes.Equal(got, want):
			t.Errorf("the quick try replaced the cached classifier (%d bytes, %v)", len(got), err)
		case !existing && err == nil:
			t.Errorf("the quick try wrote the cache %s", cache)
		}
		if !strings.Contains(out.String(), "not saved (pass --out FILE to keep it)") ||
			!strings.Contains(errs.String(), "quick try (--epochs 1 --limit 100)") || !strings.Contains(errs.String(), cache) {
			t.Errorf("output %q, log %q", out.String(), errs.String())
		}
	}
}

// TestDestination checks where a training is saved: the cache only for
// the default settings, --out when given, else nowhere.
func TestDestination(t *testing.T) {
	def := classifier.DefaultTrainOptions
	defaults := settings{seed: classifier.DefaultSeed, epochs: def.Epochs, batch: def.Batch, lr: def.LR}
	if got := destination("", "CACHE", defaults); got != "CACHE" {
		t.Errorf("default training goes to %q", got)
	}
	for _, s := range []settings{
		{seed: 2, epochs: def.Epochs, batch: def.Batch, lr: def.LR},
		{seed: classifier.DefaultSeed, epochs: 1, batch: def.Batch, lr: def.LR},
		{seed: classifier.DefaultSeed, epochs: def.Epochs, batch: 64, lr: def.LR},
		{seed: classifier.DefaultSeed, epochs: def.Epochs, batch: def.Batch, lr: 1e-3},
		{seed: classifier.DefaultSeed, epochs: def.Epochs, batch: def.Batch, lr: def.LR, limit: 100},
	} {
		if got := destination("", "CACHE", s); got != "" {
			t.Errorf("%+v (%s) goes to %q, want nowhere", s, s.nonDefault(), got)
		}
		if got := destination("mine.otgen", "CACHE", s); got != "mine.otgen" {
			t.Errorf("%+v with --out goes to %q", s, got)
		}
	}
}

// TestFlagErrors gives settings that cannot train: each is a one-line
// error naming the flag, before any training. Before, --epochs 0 and
// --batch 0 trained with the defaults (the zero value of TrainOptions),
// and the others failed deep inside training.
func TestFlagErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-mnist")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--epochs", "0"}, "--epochs 0: want at least 1"},
		{[]string{"--epochs", "-3"}, "--epochs -3: want at least 1"},
		{[]string{"--batch", "0"}, "--batch 0: want at least 1"},
		{[]string{"--lr", "0"}, "--lr 0: want a finite learning rate > 0"},
		{[]string{"--lr", "NaN"}, "--lr NaN"},
		{[]string{"--lr", "-Inf"}, "--lr -Inf"},
		{[]string{"--limit", "-1"}, "--limit -1: want 0"},
		{[]string{"--limit", "10"}, "--limit 10 is smaller than --batch 32"},
	} {
		var out, errs bytes.Buffer
		err := run(context.Background(), append([]string{"--data-dir", missing, "--out", filepath.Join(missing, "c.otgen")}, c.args...), &out, &errs, false)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line containing %q", c.args, err, c.want)
		}
	}
	// The flag is named even when MNIST could not be found either.
	t.Setenv("OTGEN_DATA", "")
	var o, e bytes.Buffer
	if err := run(context.Background(), []string{"--epochs", "0"}, &o, &e, false); err == nil || !strings.Contains(err.Error(), "--epochs 0") {
		t.Errorf("--epochs 0 without OTGEN_DATA: %v", err)
	}
	// A folder as --out is refused before training, not after.
	folder := t.TempDir()
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"--data-dir", missing, "--out", folder}, &out, &errs, false)
	if err == nil || !strings.Contains(err.Error(), "--out "+folder+" is a directory") {
		t.Errorf("--out a folder: %v", err)
	}
}

// TestDivergedTraining trains with a learning rate of 1e10: the error is
// one line saying where training diverged (before: "classifier: step 1:
// PC 46. Failed to execute instruction softmaxCrossEntropy [CPU33] ...").
func TestDivergedTraining(t *testing.T) {
	dir := mnistDir(t)
	path := filepath.Join(t.TempDir(), "c.otgen")
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"--data-dir", dir, "--out", path, "--limit", "640", "--epochs", "1", "--lr", "1e10"}, &out, &errs, false)
	if err == nil || !strings.HasPrefix(err.Error(), "training diverged at step ") || strings.Contains(err.Error(), "PC ") {
		t.Fatalf("error %v", err)
	}
	if _, serr := os.Stat(path); serr == nil {
		t.Error("a diverged training was saved")
	}
	t.Log(err)
}
