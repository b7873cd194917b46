package train

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"otgen/eval"
)

// TestOTLossesCoverAllModes: the default 8-Gaussians run of cmd/train (the
// minibatch Wasserstein generator with the Euclidean ground cost, batch
// 512, lr 2e-3, 1,500 steps; 35 s on two quiet cores) meets issue 14's
// goal: at least half of 20,000 generated points within 3 standard
// deviations of a mode (the high-quality samples of the VEEGAN /
// unrolled-GAN convention) and W2² ≤ 0.05 against the data (the median of
// 15 exact W2² between 2,000 generated and 2,000 real points, eval_w2's
// sizes); a Sinkhorn-divergence generator (eps 0.01, 100 iterations, 2,000
// steps) puts at least a fifth of them there. Every one of the 8 modes
// gets at least 5% of the high-quality samples.
//
// Observed, minibatch-w, five seeds: 71-83% high quality, W2² median over
// 31 draws 0.040-0.049 (seed 1: 0.040, single draws 0.028-0.091). With the squared ground
// cost at lr 1e-3 (the default before) 28.9% and W2² 0.059. For scale, W2²
// between two independent samples of 2,000 real points: median 0.066
// (0.031-0.133 over 15 draws): the count of points per mode varies by
// about ±15 between draws, and moving the excess to a neighbouring mode
// costs 1.17 per unit of mass, so eval_w2 cannot tell much below this; a
// generator's stragglers between the modes absorb some of that noise.
// Sinkhorn: 27.9% high quality, least covered mode 9.0% of it; at 1,500
// steps it held 24.4% and 4.6% (below the bar: this test failed in CI once
// otgen's Sinkhorn solver changed its rounding); at 2,000 steps the least
// mode holds 7.5-9.6% over two seeds and four draws. 20,000 samples keep
// the draw's own noise (about ±15% of a mode's share at 4,000) out of the
// verdict.
//
// For scale: the PyTorch peer (../shared/peers/torch_toy.py --train-iters
// 5000) reaches 25% high-quality samples with WGAN-GP and 3% with the
// Sinkhorn divergence after 5,000 iterations.
func TestOTLossesCoverAllModes(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: two full runs of 1,500 and 2,000 steps (about 3 minutes)")
	}
	cases := []struct {
		loss    string
		edit    func(*Config)
		minHQ   float64
		maxW2sq float64 // 0: not checked
	}{
		{"minibatch-w", nil, 0.5, 0.05},
		{"sinkhorn", func(c *Config) {
			c.Steps, c.Batch, c.Schedule = 2000, 512, "linear"
			c.Loss.Eps, c.Loss.Iters = 0.01, 100
		}, 0.2, 0},
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
			if cv.HighQuality < c.minHQ {
				t.Errorf("%.1f%% of the samples within 3 std of a mode, want at least %.0f%%", 100*cv.HighQuality, 100*c.minHQ)
			}
			for k, s := range cv.Share {
				if s < 0.05*cv.HighQuality {
					t.Errorf("mode %d gets %.1f%% of the high-quality samples, want at least 5%%", k, 100*s/cv.HighQuality)
				}
			}
			if c.maxW2sq == 0 {
				return
			}
			// The median of 15 exact W2² between 2,000 generated and
			// 2,000 real points: one draw scatters by a factor of 3.
			rng := rand.New(rand.NewPCG(8, 8))
			var w2sq []float64
			for range 15 {
				gen, err := r.generate(rng, 2000)
				if err != nil {
					t.Fatal(err)
				}
				real := make([]float32, len(gen))
				r.src.real(rng, real)
				w, err := eval.W2(gen, real, 2)
				if err != nil {
					t.Fatal(err)
				}
				w2sq = append(w2sq, w*w)
			}
			slices.Sort(w2sq)
			t.Logf("%s: W2² %.4f", c.loss, w2sq)
			if w2sq[7] > c.maxW2sq {
				t.Errorf("W2² median %.4f, want at most %g", w2sq[7], c.maxW2sq)
			}
		})
	}
}
