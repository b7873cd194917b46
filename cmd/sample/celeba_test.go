package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otgen/classifier/classifiertest"
	"otgen/scores"
	"otgen/train"
)

// TestSampleCelebAGrid: a 5-step CelebA checkpoint (DCGAN, tiny channels,
// the first 256 images) becomes grids of 64×64 images.
func TestSampleCelebAGrid(t *testing.T) {
	if os.Getenv("OTGEN_DATA") == "" {
		t.Skip("OTGEN_DATA not set: the CelebA test needs the real images in $OTGEN_DATA/celeba")
	}
	ckpt := tinyCelebAVAE(t, 256, 5)
	out := filepath.Join(t.TempDir(), "figs")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"--n", "16", "--out", out, ckpt}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, f := range []string{"samples.png", "reconstructions.png", "walk.png"} {
		fh, err := os.Open(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if b := img.Bounds(); b.Dx() < 4*64 || b.Dy() < 64 {
			t.Fatalf("%s is %v, too small for 64×64 images", f, b)
		}
	}
	// Without the data (moved, another machine) the samples and the walk
	// are still written, reconstructions are skipped with a reason, and the
	// command succeeds (it wrote samples.png, then failed).
	out = filepath.Join(t.TempDir(), "nodata")
	stdout.Reset()
	if err := run([]string{"--n", "16", "--out", out, "--data-dir", filepath.Join(t.TempDir(), "gone"), ckpt}, &stdout, &stderr); err != nil {
		t.Fatalf("without the data: %v", err)
	}
	if !strings.Contains(stdout.String(), "skipped reconstructions.png") {
		t.Errorf("output %q does not say reconstructions were skipped", stdout.String())
	}
	for _, f := range []string{"samples.png", "walk.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "reconstructions.png")); err == nil {
		t.Error("reconstructions.png written without data")
	}
}

// TestSampleScoresCelebA: --scores writes the final image scores of a
// CelebA checkpoint (SWD, FID and KID in the attribute classifier's space,
// reconstruction error) to scores.json and stdout, the same on a second
// call and other ones with another --score-seed; without the data it is a
// one-line error naming --scores, after the figures.
func TestSampleScoresCelebA(t *testing.T) {
	if os.Getenv("OTGEN_DATA") == "" {
		t.Skip("OTGEN_DATA not set: the CelebA test needs the real images in $OTGEN_DATA/celeba")
	}
	ckpt := tinyCelebAVAE(t, 1200, 3)
	clf := filepath.Join(t.TempDir(), "attrnet.otgen")
	classifiertest.CelebA(t, clf, 0.9)
	score := func(extra ...string) map[string]float64 {
		t.Helper()
		out := filepath.Join(t.TempDir(), "figs")
		var stdout, stderr bytes.Buffer
		args := append([]string{"--scores", "--classifier", clf, "--n", "4", "--out", out}, extra...)
		if err := run(append(args, ckpt), &stdout, &stderr); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		b, err := os.ReadFile(filepath.Join(out, "scores.json"))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]float64
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"eval_swd", "eval_fid", "eval_kid", "eval_rec"} {
			v, ok := got[k]
			if !ok || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 && k != "eval_kid" {
				t.Errorf("scores.json %s = %v (present %v), want a finite positive score", k, v, ok)
			}
			if !strings.Contains(stdout.String(), k+" ") {
				t.Errorf("stdout lacks %s:\n%s", k, stdout.String())
			}
		}
		return got
	}
	first := score()
	if again := score(); fmt.Sprint(again) != fmt.Sprint(first) {
		t.Errorf("second call: %v, first %v; want the same scores", again, first)
	}
	if same := score("--score-seed", fmt.Sprint(scores.Seed)); fmt.Sprint(same) != fmt.Sprint(first) {
		t.Errorf("--score-seed %d: %v, default %v; want the same scores", scores.Seed, same, first)
	}
	other := score("--score-seed", fmt.Sprint(scores.Seed+1))
	for _, k := range []string{"eval_swd", "eval_fid", "eval_kid", "eval_rec"} {
		if other[k] == first[k] {
			t.Errorf("--score-seed %d: %s = %v, as with the default seed; want other draws", scores.Seed+1, k, other[k])
		}
	}
	out := filepath.Join(t.TempDir(), "nodata")
	var stdout, stderr bytes.Buffer
	err := run([]string{"--scores", "--classifier", clf, "--n", "4", "--out", out, "--data-dir", filepath.Join(t.TempDir(), "gone"), ckpt}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "--scores") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("--scores without the data: %v, want a one-line error naming --scores", err)
	}
	if _, err := os.Stat(filepath.Join(out, "samples.png")); err != nil {
		t.Errorf("samples.png not written before the failing scores: %v", err)
	}
}

// tinyCelebAVAE trains a vae with CelebA's defaults on the first limit
// faces (base width 4, latent 8, batch 16) for steps steps and returns its
// checkpoint.
func tinyCelebAVAE(t *testing.T, limit, steps int) string {
	t.Helper()
	cfg, err := train.DefaultConfig("celeba", "vae")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Out = t.TempDir()
	cfg.Data.Limit = limit
	cfg.Model.Channels, cfg.Model.Latent = 4, 8
	cfg.Steps, cfg.Batch = steps, 16
	cfg.SampleEvery, cfg.EvalEvery, cfg.CheckpointEvery = 0, 0, 0
	return trainTo(t, cfg)
}
