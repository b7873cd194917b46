package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otgen/train"
)

func trainedCheckpoint(t *testing.T, loss string) string {
	t.Helper()
	cfg, err := train.DefaultConfig("8gaussians", loss)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Out = t.TempDir()
	cfg.Model.Hidden = []int{16}
	cfg.Steps, cfg.Batch = 5, 32
	return trainTo(t, cfg)
}

// trainTo trains a run of cfg to its end and returns its checkpoint.
func trainTo(t *testing.T, cfg train.Config) string {
	t.Helper()
	r, err := train.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r.CheckpointPath()
}

func TestSampleWritesFigures(t *testing.T) {
	ckpt := trainedCheckpoint(t, "vae")
	out := filepath.Join(t.TempDir(), "figs")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"--n", "200", "--out", out, ckpt}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, f := range []string{"samples.png", "reconstructions.png", "walk.png"} {
		fh, err := os.Open(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil || img.Bounds().Dx() < 100 {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

// TestSampleLiveWeights: a run trained with --ema is sampled from its
// averaged generator into sample/, and with --live from its trained weights
// into sample-live/, so neither figure overwrites the other.
func TestSampleLiveWeights(t *testing.T) {
	cfg, err := train.DefaultConfig("8gaussians", "wgan-gp")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Out = t.TempDir()
	cfg.Model.Hidden = []int{16}
	cfg.Steps, cfg.Batch, cfg.EMA = 30, 32, 0.9
	ckpt := trainTo(t, cfg)
	var stdout, stderr bytes.Buffer
	figs := map[string][]byte{}
	for _, args := range [][]string{{ckpt}, {"--live", ckpt}} {
		if err := run(args, &stdout, &stderr); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
	}
	for _, dir := range []string{"sample", "sample-live"} {
		b, err := os.ReadFile(filepath.Join(cfg.Out, dir, "samples.png"))
		if err != nil {
			t.Fatal(err)
		}
		figs[dir] = b
	}
	if bytes.Equal(figs["sample"], figs["sample-live"]) {
		t.Fatal("the averaged and the live generator drew the same figure")
	}
}

func TestSampleErrors(t *testing.T) {
	ckpt := trainedCheckpoint(t, "wae-mmd")
	b, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	bad := filepath.Join(t.TempDir(), "bad.otgen")
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{
		{bad}, {filepath.Join(t.TempDir(), "missing.otgen")}, {}, {"--n", "0", ckpt},
	} {
		err := run(args, &stdout, &stderr)
		if err == nil {
			t.Errorf("%v accepted", args)
		} else if len(args) == 1 && !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: error %v does not name the file", args, err)
		}
	}
}
