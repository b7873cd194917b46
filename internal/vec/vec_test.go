package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSlopeMulKernelMatchesGo compares the SlopeMul kernel in use (SIMD
// names it) with the Go loop bit for bit, on every length up
// to 40 (whole vectors and masked tails) and a long one, with x of both
// signed zeros, infinities and NaNs of both signs, for the rectifier
// (alpha 0) and a leaky one.
func TestSlopeMulKernelMatchesGo(t *testing.T) {
	t.Logf("slopeMul kernel: %q", SIMD)
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.Float32frombits(0xffc00000), 1e-40, -1e-40}
	lengths := []int{1031}
	for n := 0; n <= 40; n++ {
		lengths = append(lengths, n)
	}
	for _, alpha := range []float32{0, 0.2} {
		for _, n := range lengths {
			v, x := make([]float32, n), make([]float32, n)
			for i := range x {
				v[i] = float32(rng.NormFloat64())
				x[i] = float32(rng.NormFloat64())
				if rng.IntN(4) == 0 {
					x[i] = special[rng.IntN(len(special))]
				}
			}
			got, want := make([]float32, n+1), make([]float32, n+1)
			got[n], want[n] = 5, 5 // a sentinel the masked tail must leave
			SlopeMul(got[:n], v, x, alpha)
			SlopeMulGo(want[:n], v, x, alpha)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("alpha %v, n=%d, value %d: kernel %v, Go %v", alpha, n, i, got[i], want[i])
				}
			}
		}
	}
}
