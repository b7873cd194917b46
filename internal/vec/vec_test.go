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

// TestSlopeMul64AgreesWithFloat32: on float32 values, with slopes whose
// products are exact in both precisions (0 and 0.5), SlopeMul64 gives the
// float32 results, signed zeros, infinities and NaNs of both signs in x
// included.
func TestSlopeMul64AgreesWithFloat32(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.Float32frombits(0xffc00000)}
	const n = 301
	v32, x32 := make([]float32, n), make([]float32, n)
	v64, x64 := make([]float64, n), make([]float64, n)
	for i := range x32 {
		v32[i], x32[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		if rng.IntN(4) == 0 {
			x32[i] = special[rng.IntN(len(special))]
		}
		v64[i], x64[i] = float64(v32[i]), float64(x32[i])
	}
	for _, alpha := range []float32{0, 0.5} {
		got, want := make([]float64, n), make([]float32, n)
		SlopeMul64(got, v64, x64, float64(alpha))
		SlopeMulGo(want, v32, x32, alpha)
		for i := range got {
			if got[i] != float64(want[i]) || math.Signbit(got[i]) != math.Signbit(float64(want[i])) {
				t.Fatalf("alpha %v, value %d (x=%v, v=%v): float64 %v, float32 %v", alpha, i, x32[i], v32[i], got[i], want[i])
			}
		}
	}
}
