package ot

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkMinibatchBarycentricMap compares the two ways to get the colour
// transfer map of the paper on pot_ot.py's colour job at the size of the
// 1600x1000 photos (1.6·10^6 random colours each side, K = 1600 pairs of
// M = 1000, "epoch-x" sampling so every source pixel is drawn once):
// "stream" folds each pair into per-pixel sums (MinibatchBarycentricMap);
// "plan" stores the K·M plan entries, sorts them (MinibatchPlan) and then
// applies BarycentricMap. B/op shows the memory each needs.
func BenchmarkMinibatchBarycentricMap(b *testing.B) {
	const N, M, K = 1_600_000, 1000, 1600
	rng := rand.New(rand.NewPCG(0, 1))
	Xs, Xt := colourPixels(rng, N), colourPixels(rng, N)
	o := MinibatchOptions{M: M, K: K, Seed: 1, Sampling: "epoch-x", Solver: colourSolver}
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
			if _, err := BarycentricMap(res.Plan, Xt); err != nil {
				b.Fatal(err)
			}
		}
	})
}
