package ot

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func randVec(seed uint64, n int, scale, shift float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 5))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()*scale + shift
	}
	return v
}

// cost1D is the |x-y|^p cost matrix of 1-D points.
func cost1D(x, y []float64, p float64) *mat.Dense {
	C := mat.NewDense(len(x), len(y), nil)
	for i := range x {
		for j := range y {
			C.Set(i, j, math.Pow(math.Abs(x[i]-y[j]), p))
		}
	}
	return C
}

func TestWasserstein1DClosedFormUniform(t *testing.T) {
	// Sorted uniform samples: W_p^p = mean |x_(i) - y_(i)|^p; a shift c
	// of the same sample gives exactly |c|^p.
	x := randVec(1, 1000, 1, 0)
	y := make([]float64, len(x))
	for i, v := range x {
		y[len(x)-1-i] = v + 0.75
	}
	for _, p := range []float64{1, 2, 3} {
		w, err := Wasserstein1D(x, y, nil, nil, p)
		if err != nil {
			t.Fatal(err)
		}
		if want := math.Pow(0.75, p); math.Abs(w-want) > 1e-12 {
			t.Fatalf("p=%v: W^p = %v, want %v", p, w, want)
		}
	}
}

func TestWasserstein1DMatchesEMD(t *testing.T) {
	for trial := uint64(0); trial < 6; trial++ {
		n, m := 30+int(trial)*7, 25+int(trial)*3
		x, y := randVec(10+trial, n, 1, 0), randVec(20+trial, m, 1.5, 0.5)
		var a, b []float64
		if trial%2 == 1 {
			a, b = testWeights(30+trial, n), testWeights(40+trial, m)
		} else if trial == 2 {
			m = n
			y = y[:0]
			y = randVec(50, n, 1, 1)
		}
		for _, p := range []float64{1, 2, 1.5} {
			w, err := Wasserstein1D(x, y, a, b, p)
			if err != nil {
				t.Fatal(err)
			}
			ex, err := EMD(a, b, cost1D(x, y, p), nil)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(w-ex.Cost) > 1e-10*(1+ex.Cost) {
				t.Fatalf("trial %d p=%v: 1-D %v, EMD %v", trial, p, w, ex.Cost)
			}
			pl, err := Plan1D(x, y, a, b)
			if err != nil {
				t.Fatal(err)
			}
			if len(pl.Entries) > n+m-1 {
				t.Fatalf("%d entries > n+m-1", len(pl.Entries))
			}
			aa, bb := a, b
			if aa == nil {
				aa, bb = Uniform(n), Uniform(m)
			}
			if e := marginalError(&pl, aa, bb); e > 1e-12 {
				t.Fatalf("plan marginal error %g", e)
			}
			c := 0.0
			for k, e := range pl.Entries {
				c += e.W * math.Pow(math.Abs(x[e.I]-y[e.J]), p)
				if k > 0 && cmpEntry(pl.Entries[k-1], e) >= 0 {
					t.Fatal("entries not sorted")
				}
			}
			if math.Abs(c-ex.Cost) > 1e-10*(1+ex.Cost) {
				t.Fatalf("plan cost %v, EMD %v", c, ex.Cost)
			}
		}
	}
}

func TestWasserstein1DBadInput(t *testing.T) {
	x := []float64{0, 1}
	cases := map[string]func() error{
		"empty":   func() error { _, err := Wasserstein1D(nil, x, nil, nil, 2); return err },
		"nan":     func() error { _, err := Wasserstein1D([]float64{math.NaN()}, x, nil, nil, 2); return err },
		"p":       func() error { _, err := Wasserstein1D(x, x, nil, nil, 0); return err },
		"len a":   func() error { _, err := Wasserstein1D(x, x, []float64{1}, nil, 2); return err },
		"neg a":   func() error { _, err := Wasserstein1D(x, x, []float64{2, -1}, nil, 2); return err },
		"unbal":   func() error { _, err := Wasserstein1D(x, x, []float64{2, 1}, nil, 2); return err },
		"plan":    func() error { _, err := Plan1D(x, nil, nil, nil); return err },
		"planinf": func() error { _, err := Plan1D(x, []float64{math.Inf(1)}, nil, nil); return err },
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
