package ot

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The online divergence equals the dense one, value and gradients, for
// the float64 path to rounding and the float32 path to its resolution,
// balanced and unbalanced (whose dense form runs the log-domain engine on
// the stored matrices).
func TestSinkhornDivergenceOnlineMatchesDense(t *testing.T) {
	X, Y := testPoints32(11, 120, 3, 0), testPoints32(12, 90, 3, 0.6)
	a, b := testWeights(13, 120), testWeights(14, 90)
	b2 := append([]float64(nil), b...)
	for j := range b2 {
		b2[j] *= 1.7 // a different mass, for the unbalanced case
	}
	for _, c := range []struct {
		name  string
		o     SinkhornOptions
		b     []float64
		tolV  float64 // on the value, relative
		tolG  float64 // on the gradients, relative to their largest entry
		dense SinkhornOptions
	}{
		{"float64", SinkhornOptions{Precision: PrecisionFloat64, Tol: 1e-12, MaxIter: 20000}, b, 1e-8, 1e-7, SinkhornOptions{Tol: 1e-12, MaxIter: 20000}},
		{"float64 p=3", SinkhornOptions{Precision: PrecisionFloat64, Tol: 1e-12, MaxIter: 20000, P: 3}, b, 1e-8, 1e-7, SinkhornOptions{Tol: 1e-12, MaxIter: 20000, P: 3}},
		{"float32", SinkhornOptions{Tol: 1e-5, MaxIter: 20000}, b, 1e-4, 1e-3, SinkhornOptions{Tol: 1e-12, MaxIter: 20000}},
		{"unbalanced float64", SinkhornOptions{Precision: PrecisionFloat64, Tol: 1e-12, MaxIter: 20000, Reach: 1}, b2, 1e-8, 1e-7, SinkhornOptions{Tol: 1e-12, MaxIter: 20000, Reach: 1}},
		{"unbalanced float32", SinkhornOptions{Tol: 1e-5, MaxIter: 20000, Reach: 1}, b2, 1e-4, 1e-3, SinkhornOptions{Tol: 1e-12, MaxIter: 20000, Reach: 1}},
	} {
		const eps = 0.3
		dense, err := SinkhornDivergence(X.Dense(), Y.Dense(), a, c.b, eps, &c.dense)
		if err != nil {
			t.Fatalf("%s: dense: %v", c.name, err)
		}
		on, err := SinkhornDivergenceOnline(X, Y, a, c.b, eps, &c.o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		dv := math.Abs(on.Value-dense.Value) / math.Abs(dense.Value)
		scale := math.Max(mat.Norm(dense.GradX, math.Inf(1)), mat.Norm(dense.GradY, math.Inf(1)))
		var diff mat.Dense
		diff.Sub(on.GradX, dense.GradX)
		dg := mat.Norm(&diff, math.Inf(1)) / scale
		diff.Reset()
		diff.Sub(on.GradY, dense.GradY)
		dg = math.Max(dg, mat.Norm(&diff, math.Inf(1))/scale)
		t.Logf("%s: S = %.10g (dense %.10g), value differs by %.2g, gradients by %.2g (relative), %d iterations",
			c.name, on.Value, dense.Value, dv, dg, on.Log.Iterations)
		if dv > c.tolV || dg > c.tolG {
			t.Errorf("%s: value differs by %.2g (want < %.2g), gradients by %.2g (want < %.2g)", c.name, dv, c.tolV, dg, c.tolG)
		}
	}
}

// The unbalanced divergence: S(a, a) = 0 (with its gradient) for any mass,
// S grows as the clouds move apart, and its gradient matches finite
// differences, for both masses different and p = 2 and 3.
func TestSinkhornDivergenceUnbalanced(t *testing.T) {
	X := testCloud(21, 30, 2, 0)
	a := testWeights(22, 30)
	for j := range a {
		a[j] *= 2.5
	}
	o := &SinkhornOptions{Tol: 1e-12, MaxIter: 100000, Reach: 0.7}
	self, err := SinkhornDivergence(X, X, a, a, 0.2, o)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(self.Value) > 1e-10 || mat.Norm(self.GradX, math.Inf(1))+mat.Norm(self.GradY, math.Inf(1)) > 1e-8 {
		t.Errorf("S(a, a) = %g with gradient %g, %g", self.Value, mat.Norm(self.GradX, math.Inf(1)), mat.Norm(self.GradY, math.Inf(1)))
	}
	Y, b := testCloud(23, 12, 2, 0.5), testWeights(24, 12)
	prev := 0.0
	for _, shift := range []float64{0, 0.3, 1} {
		Ys := mat.DenseCopyOf(Y)
		for i := 0; i < 12; i++ {
			Ys.Set(i, 0, Y.At(i, 0)+shift)
		}
		r, err := SinkhornDivergence(X, Ys, a, b, 0.2, o)
		if err != nil {
			t.Fatal(err)
		}
		if !(r.Value > prev) {
			t.Errorf("shift %v: S = %g, not above %g", shift, r.Value, prev)
		}
		prev = r.Value
	}
	X = testCloud(25, 10, 2, 0)
	a = testWeights(26, 10)
	for _, p := range []float64{2, 3} {
		o := &SinkhornOptions{Tol: 1e-13, MaxIter: 100000, Reach: 0.8, P: p}
		res, err := SinkhornDivergence(X, Y, a, b, 0.25, o)
		if err != nil {
			t.Fatal(err)
		}
		value := func(X, Y *mat.Dense) float64 {
			r, err := SinkhornDivergence(X, Y, a, b, 0.25, o)
			if err != nil {
				t.Fatal(err)
			}
			return r.Value
		}
		const h = 1e-5
		for _, c := range []struct {
			name string
			G    *mat.Dense
			x    bool
		}{{"GradX", res.GradX, true}, {"GradY", res.GradY, false}} {
			P := X
			if !c.x {
				P = Y
			}
			r, d := P.Dims()
			for i := 0; i < r; i++ {
				for k := 0; k < d; k++ {
					Pp, Pm := mat.DenseCopyOf(P), mat.DenseCopyOf(P)
					Pp.Set(i, k, P.At(i, k)+h)
					Pm.Set(i, k, P.At(i, k)-h)
					var fd float64
					if c.x {
						fd = (value(Pp, Y) - value(Pm, Y)) / (2 * h)
					} else {
						fd = (value(X, Pp) - value(X, Pm)) / (2 * h)
					}
					if g := c.G.At(i, k); math.Abs(g-fd) > 1e-6+1e-5*math.Abs(fd) {
						t.Fatalf("p=%v %s[%d,%d] = %.10g, finite difference %.10g", p, c.name, i, k, g, fd)
					}
				}
			}
		}
	}
}

// Bad input to the online solvers is an error wrapping ErrInput; a run cut
// short returns its partial result with ErrNotConverged.
func TestSinkhornOnlineBadInput(t *testing.T) {
	X, Y := testPoints32(1, 5, 2, 0), testPoints32(2, 4, 2, 0)
	bad := testPoints32(3, 4, 2, 0)
	bad.Data[3] = float32(math.NaN())
	cases := map[string]func() error{
		"dimensions": func() error { _, err := SinkhornOnline(X, testPoints32(4, 4, 3, 0), nil, nil, 1, nil); return err },
		"nan point":  func() error { _, err := SinkhornOnline(X, bad, nil, nil, 1, nil); return err },
		"empty":      func() error { _, err := SinkhornOnline(X, Points32{}, nil, nil, 1, nil); return err },
		"short data": func() error {
			_, err := SinkhornOnline(Points32{N: 3, D: 2, Data: make([]float32, 5)}, Y, nil, nil, 1, nil)
			return err
		},
		"eps":        func() error { _, err := SinkhornOnline(X, Y, nil, nil, 0, nil); return err },
		"nan eps":    func() error { _, err := SinkhornOnline(X, Y, nil, nil, math.NaN(), nil); return err },
		"weights":    func() error { _, err := SinkhornOnline(X, Y, []float64{1, 1}, nil, 1, nil); return err },
		"negative":   func() error { _, err := SinkhornOnline(X, Y, []float64{1, -1, 1, 1, 1}, nil, 1, nil); return err },
		"unbalanced": func() error { _, err := SinkhornOnline(X, Y, nil, []float64{1, 1, 1, 1}, 1, nil); return err },
		"reach": func() error {
			_, err := SinkhornOnline(X, Y, nil, nil, 1, &SinkhornOptions{Reach: -1})
			return err
		},
		"plan": func() error {
			_, err := SinkhornOnline(X, Y, nil, nil, 1, &SinkhornOptions{Plan: true})
			return err
		},
		"init length": func() error {
			_, err := SinkhornOnline(X, Y, nil, nil, 1, &SinkhornOptions{InitF: []float64{1}})
			return err
		},
		"init nan": func() error {
			_, err := SinkhornOnline(X, Y, nil, nil, 1, &SinkhornOptions{InitG: []float64{0, math.NaN(), 0, 0}})
			return err
		},
		"divergence dims": func() error {
			_, err := SinkhornDivergenceOnline(X, testPoints32(4, 4, 3, 0), nil, nil, 1, nil)
			return err
		},
		"divergence init": func() error {
			_, err := SinkhornDivergenceOnline(X, Y, nil, nil, 1, &SinkhornOptions{InitF: make([]float64, 5)})
			return err
		},
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v, want ErrInput", name, err)
		}
	}
	X, Y = testPoints32(5, 200, 2, 0), testPoints32(6, 150, 2, 1)
	for _, prec := range []Precision{PrecisionAuto, PrecisionFloat64} {
		res, err := SinkhornOnline(X, Y, nil, nil, 0.01, &SinkhornOptions{MaxIter: 4, Tol: 1e-12, Precision: prec})
		if !errors.Is(err, ErrNotConverged) || res == nil {
			t.Fatalf("precision %d: %v, want ErrNotConverged with a result", prec, err)
		}
		if res.Log.Iterations != 4 || len(res.F) != 200 || len(res.G) != 150 || !(res.Log.MarginalError > 1e-12) {
			t.Errorf("precision %d: partial result %d iterations, error %g", prec, res.Log.Iterations, res.Log.MarginalError)
		}
		for _, v := range append(append([]float64(nil), res.F...), res.G...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("precision %d: non-finite potential in the partial result", prec)
			}
		}
	}
}

// A warm start from converged potentials converges at once; the result
// does not depend on the number of workers.
func TestSinkhornOnlineWarmStartAndWorkers(t *testing.T) {
	X, Y := testPoints32(7, 400, 3, 0), testPoints32(8, 300, 3, 0.5)
	a, b := testWeights(9, 400), testWeights(10, 300)
	for _, prec := range []Precision{PrecisionAuto, PrecisionFloat64} {
		tol, moved := 1e-8, 1e-6
		if prec == PrecisionAuto {
			tol, moved = 1e-5, 1e-4*0.2 // the float32 path's resolution
		}
		o := &SinkhornOptions{Tol: tol, MaxIter: 5000, Precision: prec, Workers: 1}
		one, err := SinkhornOnline(X, Y, a, b, 0.2, o)
		if err != nil {
			t.Fatal(err)
		}
		o.Workers = 3
		three, err := SinkhornOnline(X, Y, a, b, 0.2, o)
		if err != nil {
			t.Fatal(err)
		}
		if maxAbsDiff(one.F, three.F) != 0 || maxAbsDiff(one.G, three.G) != 0 || one.Log.Iterations != three.Log.Iterations {
			t.Errorf("precision %d: 1 and 3 workers differ", prec)
		}
		o.InitF, o.InitG = one.F, one.G
		warm, err := SinkhornOnline(X, Y, a, b, 0.2, o)
		if err != nil {
			t.Fatal(err)
		}
		if warm.Log.Iterations > 2 || maxAbsDiff(warm.F, one.F) > moved {
			t.Errorf("precision %d: warm start took %d iterations (cold %d), potentials moved by %g",
				prec, warm.Log.Iterations, one.Log.Iterations, maxAbsDiff(warm.F, one.F))
		}
	}
}
