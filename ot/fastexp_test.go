package ot

import (
	"math"
	"math/rand/v2"
	"testing"
)

// fastExp is within a few ulp of math.Exp over the whole normal range, and
// handles the edges like math.Exp (but flushes subnormal results to 0).
func TestFastExpAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	worst := 0.0
	check := func(v float64) {
		got, want := fastExp(v), math.Exp(v)
		if v > 700 {
			// math.Exp (amd64) overflows early, near 709.4
			want = math.Exp(v-20) * math.Exp(20)
		}
		if want < 0x1p-1022 {
			if got > 0x1p-1022 || got < 0 {
				t.Fatalf("fastExp(%v) = %v, want <= 2^-1022", v, got)
			}
			return
		}
		rel := math.Abs(got-want) / want
		worst = math.Max(worst, rel)
		if rel > 1e-15 {
			t.Fatalf("fastExp(%v) = %v, math.Exp %v: relative error %.3g", v, got, want, rel)
		}
	}
	for i := 0; i < 200_000; i++ {
		check(r.Float64()*1418 - 708.3) // the normal range
		check(r.NormFloat64() * 5)      // the range of kernel arguments
		check(-r.ExpFloat64() * 30)
	}
	for _, v := range []float64{0, -0.0, 1, -1, 0.5 * math.Ln2, -0.5 * math.Ln2, expLo, expLo + 1e-9, expHi, expHi - 1e-9, 709.5, -700, -745, -1e-300, 1e-300} {
		check(v)
	}
	t.Logf("worst relative error %.3g", worst)
	if fastExp(expHi+1e-9) != math.Inf(1) || fastExp(1000) != math.Inf(1) || fastExp(math.Inf(1)) != math.Inf(1) {
		t.Fatal("overflow must give +Inf")
	}
	if fastExp(-1000) != 0 || fastExp(math.Inf(-1)) != 0 {
		t.Fatal("underflow must give 0")
	}
	if !math.IsNaN(fastExp(math.NaN())) {
		t.Fatal("NaN must give NaN")
	}
	x := []float64{-1, 0, 2}
	if s := expSum(x, -1); math.Abs(s-(math.Exp(-2)+math.Exp(-1)+math.E)) > 1e-15 || x[2] != fastExp(1) {
		t.Fatalf("expSum: %v %v", s, x)
	}
}

func BenchmarkExp(b *testing.B) {
	x := make([]float64, 4096)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range x {
		x[i] = -r.ExpFloat64() * 5
	}
	y := make([]float64, len(x))
	b.Run("math", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				y[i] = math.Exp(v)
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			copy(y, x)
			expSum(y, 0)
		}
	})
}
