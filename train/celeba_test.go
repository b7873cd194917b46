package train

import (
	"context"
	"os"
	"otgen/losses"
	"path/filepath"
	"strings"
	"testing"
)

// TestCelebARunCheckpoint: a 20-step WAE-MMD run on the first 256 CelebA
// images (tiny channels) writes a checkpoint that Load turns back into a
// model generating 3×64×64 images in [-1,1], and whose held-out split
// gives real images of the same shape.
func TestCelebARunCheckpoint(t *testing.T) {
	if os.Getenv("OTGEN_DATA") == "" {
		t.Skip("OTGEN_DATA not set: the CelebA test needs the real images in $OTGEN_DATA/celeba")
	}
	cfg, err := DefaultConfig("celeba", "wae-mmd")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Model.Arch != "dcgan" || cfg.Model.Output != "tanh" {
		t.Fatalf("celeba defaults: arch %s, output %s", cfg.Model.Arch, cfg.Model.Output)
	}
	cfg.Out = t.TempDir()
	cfg.Data.Limit = 256
	cfg.Model.Channels = 4
	cfg.Model.Latent = 8
	cfg.Batch = 16
	cfg.Steps = 20
	cfg.SampleEvery, cfg.EvalEvery, cfg.CheckpointEvery, cfg.LogEvery = 0, 0, 0, 0
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.src.test.Len(); got != 25 {
		t.Errorf("held-out split of 256 images: %d, want 25", got)
	}
	if err := r.Train(context.Background()); err != nil {
		r.Close()
		t.Fatal(err)
	}
	r.Close()
	if _, err := os.Stat(filepath.Join(cfg.Out, "samples.png")); err != nil {
		t.Fatal(err)
	}
	l, err := Load(filepath.Join(cfg.Out, CheckpointName))
	if err != nil {
		t.Fatal(err)
	}
	if l.Step != 20 {
		t.Fatalf("checkpoint at step %d", l.Step)
	}
	const n = 4
	z := make([]float32, n*l.Config.Model.Latent)
	for i := range z {
		z[i] = float32(i%5) - 2
	}
	x, err := l.Model.Generate(z, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != n*3*64*64 {
		t.Fatalf("generated %d values, want %d 3×64×64 images", len(x), n)
	}
	lo, hi := l.PixelRange()
	for _, v := range x {
		if float64(v) < lo || float64(v) > hi {
			t.Fatalf("pixel %v outside [%v, %v]", v, lo, hi)
		}
	}
	real, err := l.Real(n, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(real) != len(x) {
		t.Fatalf("real batch of %d values", len(real))
	}
}

// TestEveryLossRunsOnCelebA: every loss builds and trains a (tiny) 64×64
// DCGAN on real CelebA faces for a few steps, with finite losses, and
// writes a checkpoint that Load reads back at the last step.
func TestEveryLossRunsOnCelebA(t *testing.T) {
	if os.Getenv("OTGEN_DATA") == "" {
		t.Skip("OTGEN_DATA not set: the CelebA test needs the real images in $OTGEN_DATA/celeba")
	}
	for _, loss := range losses.Names() {
		t.Run(loss, func(t *testing.T) {
			cfg, err := DefaultConfig("celeba", loss)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Out = t.TempDir()
			cfg.Data.Limit = 64
			cfg.Model.Channels = 4
			cfg.Batch = 8
			cfg.Loss.M = min(cfg.Loss.M, cfg.Batch)
			if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "fewer than a batch") {
				t.Fatalf("6 held-out images for a batch of 8: got %v, want a clear error", err)
			}
			cfg.Data.Limit = 128
			cfg.Model.Latent = 8
			cfg.Steps = 3
			cfg.SampleEvery, cfg.EvalEvery, cfg.CheckpointEvery, cfg.LogEvery = 0, 0, 0, 0
			r, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = r.Train(context.Background())
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			l, err := Load(filepath.Join(cfg.Out, CheckpointName))
			if err != nil {
				t.Fatal(err)
			}
			if l.Step != 3 {
				t.Fatalf("checkpoint at step %d, want 3", l.Step)
			}
		})
	}
}
