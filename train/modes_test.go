package train

import (
	"context"
	"math/rand/v2"
	"testing"

	"otgen/eval"
)

// TestOTLossesCoverAllModes: the default 8-Gaussians run of cmd/train (the
// minibatch Wasserstein generator, batch 512, 1,500 steps; 42 s on two quiet
// cores) and a Sinkhorn-divergence generator (eps 0.01, 100 iterations,
// 2,000 steps) put at least a fifth of 20,000 generated points within 3
// standard deviations of a mode (the high-quality samples of the VEEGAN /
// unrolled-GAN convention), and every one of the 8 modes gets at least 5%
// of those high-quality samples.
//
// Observed with 20,000 samples: minibatch-w 28.9% high quality, least
// covered mode 7.3% of it; Sinkhorn 27.9% and 9.0%. Sinkhorn at 1,500
// steps held 24.4% and 4.6% (below the bar: this test failed in CI once
// otgen's Sinkhorn solver changed its rounding), 9.0% with seed 2 — too
// close to the bar at that budget; at 2,000 steps the least mode holds
// 7.9-9.6% (seed 1) and 7.5-9.0% (seed 2) over four draws of 4,000 and
// 20,000 samples. 20,000 samples keep the draw's own noise (about ±15% of
// a mode's share at 4,000) out of the verdict.
//
// For scale: the PyTorch peer (../shared/peers/torch_toy.py --train-iters
// 5000) reaches 25% high-quality samples with WGAN-GP and 3% with the
// Sinkhorn divergence after 5,000 iterations. The stricter reading, 5% of
// all samples on every mode (40% high quality in all), is not reached at
// this budget: eval_modes in metrics.csv reports it.
func TestOTLossesCoverAllModes(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: two full runs of 1,500 and 2,000 steps (about 4 minutes)")
	}
	cases := []struct {
		loss string
		edit func(*Config)
	}{
		{"minibatch-w", nil},
		{"sinkhorn", func(c *Config) {
			c.Steps, c.Batch, c.Schedule = 2000, 512, "linear"
			c.Loss.Eps, c.Loss.Iters = 0.01, 100
		}},
	}
	for _, c := range cases {
		t.Run(c.loss, func(t *testing.T) {
			cfg, err := DefaultConfig("8gaussians", c.loss)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Out = t.TempDir()
			cfg.SampleEvery, cfg.EvalEvery, cfg.CheckpointEvery, cfg.LogEvery = 0, 0, 0, 0
			if c.edit != nil {
				c.edit(&cfg)
			}
			r, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if err := r.Train(context.Background()); err != nil {
				t.Fatal(err)
			}
			gen, err := r.generate(rand.New(rand.NewPCG(7, 7)), 20000)
			if err != nil {
				t.Fatal(err)
			}
			cv, err := eval.ModeCoverage(gen, r.src.modes, r.src.std, 3, 0.05)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: high quality %.3f, shares of all samples per mode %.3f", c.loss, cv.HighQuality, cv.Share)
			if cv.HighQuality < 0.2 {
				t.Errorf("%.1f%% of the samples within 3 std of a mode, want at least 20%%", 100*cv.HighQuality)
			}
			for k, s := range cv.Share {
				if s < 0.05*cv.HighQuality {
					t.Errorf("mode %d gets %.1f%% of the high-quality samples, want at least 5%%", k, 100*s/cv.HighQuality)
				}
			}
		})
	}
}
