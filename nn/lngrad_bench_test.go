package nn

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkLNGradKernel times the LayerNorm kernels on one core for the
// CelebA critic's second stage (64 examples of 128×16×16): normalisation,
// its input gradient and the gradient of that (second order).
func BenchmarkLNGradKernel(b *testing.B) {
	const n, d = 64, 128 * 16 * 16
	rng := rand.New(rand.NewPCG(1, 2))
	in := make([][]float32, 3)
	for i := range in {
		in[i] = make([]float32, n*d)
		for j := range in[i] {
			in[i][j] = float32(rng.NormFloat64())
		}
	}
	dst := make([]float32, n*d)
	for _, arity := range []int{1, 2, 3} {
		op := &lnGradOp{arity: arity, eps: 1e-5, n: n, d: d, second: arity == 3}
		b.Run([]string{"", "norm", "grad", "gradgrad"}[arity], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				lnGradK(op, dst, in[:arity], 0, n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n*d), "ns/value")
		})
	}
}
