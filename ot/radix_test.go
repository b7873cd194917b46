package ot

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// radixInput returns n values with many ties, both zeros, infinities
// excluded (the 1-D solvers reject them), subnormals and huge magnitudes.
func radixInput(seed uint64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	special := []float64{0, math.Copysign(0, -1), 1, -1, 5e-324, -5e-324, math.MaxFloat64, -math.MaxFloat64, 1e-300, -1e300}
	x := make([]float64, n)
	for i := range x {
		switch r.IntN(4) {
		case 0:
			x[i] = special[r.IntN(len(special))]
		case 1:
			x[i] = float64(r.IntN(20) - 10) // ties
		default:
			x[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(20)-10))
		}
	}
	return x
}

func TestFloatKeyOrder(t *testing.T) {
	x := radixInput(1, 5000)
	for i := 1; i < len(x); i++ {
		p, q := x[i-1], x[i]
		kp, kq := floatKey(p), floatKey(q)
		if (p < q) != (kp < kq) || (p == q) != (kp == kq) {
			t.Fatalf("order of %v, %v: keys %x, %x", p, q, kp, kq)
		}
		if back := keyFloat(kp); back != p {
			t.Fatalf("keyFloat(floatKey(%v)) = %v", p, back)
		}
	}
}

// The radix permutation equals a stable comparison sort of the indices
// (ties, -0 and +0 included, in index order), for sizes on both sides of
// radixMin.
func TestRadixSortedIndexStable(t *testing.T) {
	for _, n := range []int{1, 2, 17, radixMin - 1, radixMin, 3000, 100_000} {
		x := radixInput(uint64(n), n)
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		sort.SliceStable(want, func(p, q int) bool { return x[want[p]] < x[want[q]] })
		if got := sortedIndex(x); !slices.Equal(got, want) {
			t.Fatalf("n=%d: sortedIndex differs from a stable sort", n)
		}
		if n >= 2 {
			if got := sortedIndexRadix(x); !slices.Equal(got, want) {
				t.Fatalf("n=%d: sortedIndexRadix differs from a stable sort", n)
			}
		}
		sorted := slices.Clone(x)
		sort.Float64s(sorted)
		s, _, _ := sortFloatKeys(x, nil, nil)
		for i, k := range s {
			if keyFloat(k) != sorted[i] {
				t.Fatalf("n=%d: sortFloatKeys[%d] = %v, sort.Float64s %v", n, i, keyFloat(k), sorted[i])
			}
		}
	}
}

// radixSort with a payload is stable and moves the payload along.
func TestRadixSortPayload(t *testing.T) {
	n := 50_000
	x := radixInput(9, n)
	keys, pay := make([]uint64, n), make([]uint64, n)
	for i, v := range x {
		keys[i], pay[i] = floatKey(v), uint64(i)
	}
	sk, sp := radixSort(keys, pay, make([]uint64, n), make([]uint64, n))
	for k := range sk {
		if sk[k] != floatKey(x[sp[k]]) {
			t.Fatalf("payload %d does not follow its key", k)
		}
		if k > 0 && (sk[k-1] > sk[k] || (sk[k-1] == sk[k] && sp[k-1] > sp[k])) {
			t.Fatalf("not stably sorted at %d", k)
		}
	}
}

// The radix-sorted weighted path of the 1-D cost (long inputs) equals the
// comparison-sorted one (short inputs) on the same measures, and the
// uniform path equals the weighted path with uniform weights.
func TestWasserstein1DRadixPaths(t *testing.T) {
	n, m := 5000, 3000
	r := rand.New(rand.NewPCG(3, 4))
	x, y := make([]float64, n), make([]float64, m)
	a, b := make([]float64, n), make([]float64, m)
	for i := range x {
		x[i], a[i] = math.Round(r.NormFloat64()*20)/20, r.Float64()
	}
	for j := range y {
		y[j], b[j] = r.NormFloat64()*1.5+1, r.Float64()
	}
	floats := func(v []float64) float64 {
		s := 0.0
		for _, t := range v {
			s += t
		}
		return s
	}
	sa, sb := floats(a), floats(b)
	for j := range b {
		b[j] *= sa / sb
	}
	for _, p := range []float64{1, 2, 3} {
		var ws w1dWork
		got := ws.cost(x, y, a, b, p)
		// reference: the comparison-sorted merge
		px := fillWeighted(nil, x, a, 1)
		py := fillWeighted(nil, y, b, 1)
		slices.SortStableFunc(px, func(p, q weighted) int { return cmpFloat(p.v, q.v) })
		slices.SortStableFunc(py, func(p, q weighted) int { return cmpFloat(p.v, q.v) })
		want := mergeCost(px, py, p)
		if math.Abs(got-want) > 1e-12*math.Max(1, want) {
			t.Fatalf("p=%v: radix path %v, comparison path %v", p, got, want)
		}
	}
	y2 := y[:2000]
	x2 := x[:2000]
	var ws w1dWork
	u := ws.cost(x2, y2, nil, nil, 2)
	w := ws.cost(x2, y2, Uniform(2000), Uniform(2000), 2)
	if math.Abs(u-w) > 1e-12 {
		t.Fatalf("uniform path %v, weighted path %v", u, w)
	}
}

func cmpFloat(p, q float64) int {
	switch {
	case p < q:
		return -1
	case p > q:
		return 1
	}
	return 0
}
