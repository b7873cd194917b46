package ot

import (
	"math"
	"math/rand/v2"
	"slices"
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

// TestExpInlinedPaths checks that the inlined fast paths of expSum and
// expRow give exactly fastExp, across and around the range limits.
func TestExpInlinedPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var v []float64
	for _, c := range []float64{expLo, expFastHi, expHi, 0} {
		for k := -50; k <= 50; k++ {
			v = append(v, c+float64(k)*1e-3, math.Nextafter(c, math.Inf(1)), math.Nextafter(c, math.Inf(-1)))
		}
	}
	for k := 0; k < 10000; k++ {
		v = append(v, (rng.Float64()*2-1)*800)
	}
	v = append(v, math.NaN(), math.Inf(1), math.Inf(-1), -1000, 1000)
	x := slices.Clone(v)
	s := expSum(x, 0)
	want := 0.0
	for i, vi := range v {
		e := fastExp(vi)
		want += e
		if !(x[i] == e || math.IsNaN(x[i]) && math.IsNaN(e)) {
			t.Fatalf("expSum: exp(%v) = %v, fastExp %v", vi, x[i], e)
		}
	}
	if !(s == want || math.IsNaN(s) && math.IsNaN(want)) {
		t.Fatalf("expSum sum %v, want %v", s, want)
	}
	row := make([]float64, len(v))
	g := make([]float64, len(v))
	M := make([]float64, len(v))
	for i, vi := range v {
		g[i] = vi / 2
		M[i] = -vi / 2
	}
	expRow(row, g, M, 0, 1)
	for i, vi := range v {
		gi := (g[i] - M[i]) * 1
		if e := fastExp(gi); !(row[i] == e || math.IsNaN(row[i]) && math.IsNaN(e)) {
			t.Fatalf("expRow: exp(%v) = %v, fastExp %v", vi, row[i], e)
		}
	}
}
