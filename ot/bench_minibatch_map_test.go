package ot

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// BenchmarkMinibatchBarycentricMap compares the two ways to get the colour
// transfer map of the paper on pot_ot.py's colour job at the size of the
// 1600x1000 photos (pot_ot.py --parts colour --ct-pixels 1.6e6: 1.6·10^6
// random colours each side, K = 1000 pairs of M = 1000, source minibatches
// consecutive chunks of a random permutation, "epoch-x"): "stream" folds
// each pair into per-pixel sums (MinibatchBarycentricMap); "plan" stores
// the K·M plan entries, sorts them (MinibatchPlan) and then applies
// BarycentricMap. B/op shows the memory each needs.
func BenchmarkMinibatchBarycentricMap(b *testing.B) {
	const N, M, K = 1_600_000, 1000, 1000
	rng := rand.New(rand.NewPCG(0, 1))
	Xs, Xt := colourPixels(rng, N), colourPixels(rng, N)
	o := &MinibatchOptions{M: M, K: K, Seed: 1, Sampling: "epoch-x", Solver: colourSolver}
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := MinibatchBarycentricMap(Xs, Xt, o, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(res.Covered)/N, "covered")
		}
	})
	b.Run("plan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := MinibatchPlan(Xs, Xt, o)
			if err != nil {
				b.Fatal(err)
			}
			// K·M < N: the undrawn pixels are reported, as documented.
			var unc *UncoveredError
			if _, err := BarycentricMap(res.Plan, Xt); err != nil && !errors.As(err, &unc) {
				b.Fatal(err)
			}
		}
	})
}
