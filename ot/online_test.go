package ot

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// cloud32 returns n points of N(shift, I_d) rounded to float32.
func testPoints32(seed uint64, n, d int, shift float64) Points32 {
	rng := rand.New(rand.NewPCG(seed, 32))
	p := Points32{N: n, D: d, Data: make([]float32, n*d)}
	for i := range p.Data {
		p.Data[i] = float32(rng.NormFloat64() + shift)
	}
	return p
}

// centred returns the potentials with the constant of the balanced dual
// removed: F - mean(F) and G + mean(F).
func centred(F, G []float64) ([]float64, []float64) {
	c := sum(F) / float64(len(F))
	f, g := make([]float64, len(F)), make([]float64, len(G))
	for i, v := range F {
		f[i] = v - c
	}
	for j, v := range G {
		g[j] = v + c
	}
	return f, g
}

func maxAbsDiff(x, y []float64) float64 {
	m := 0.0
	for i := range x {
		m = math.Max(m, math.Abs(x[i]-y[i]))
	}
	return m
}

// The online solver reaches the dense solver's solution: same value, same
// cost <P, C> and the same potentials (up to the constant of the balanced
// dual) to the stopping tolerance, for the float64 path exactly and for
// the float32 path to its resolution; with and without epsilon-scaling,
// for p = 2 and p = 1.
func TestSinkhornOnlineMatchesDense(t *testing.T) {
	X, Y := testPoints32(1, 300, 3, 0), testPoints32(2, 200, 3, 0.7)
	a, b := testWeights(3, 300), testWeights(4, 200)
	for _, c := range []struct {
		name string
		o    SinkhornOptions
		tol  float64 // on the potentials, relative to eps
	}{
		{"float64", SinkhornOptions{Precision: PrecisionFloat64, Tol: 1e-11, MaxIter: 5000}, 1e-7},
		{"float64 p=1", SinkhornOptions{Precision: PrecisionFloat64, Tol: 1e-11, MaxIter: 5000, P: 1}, 1e-7},
		{"float64 no scaling", SinkhornOptions{Precision: PrecisionFloat64, Tol: 1e-11, MaxIter: 5000, NoScaling: true}, 1e-7},
		{"float32", SinkhornOptions{Tol: 1e-6, MaxIter: 5000}, 1e-4},
		{"float32 L2", SinkhornOptions{Tol: 1e-7, MaxIter: 5000, Norm: NormL2}, 1e-4},
	} {
		p := c.o.P
		if p == 0 {
			p = 2
		}
		C, err := Cost(X.Dense(), Y.Dense(), p)
		if err != nil {
			t.Fatal(err)
		}
		eps := 0.05 * mat.Sum(C) / float64(300*200)
		dense, err := Sinkhorn(a, b, C, eps, &SinkhornOptions{Tol: 1e-12, MaxIter: 20000})
		if err != nil {
			t.Fatal(err)
		}
		on, err := SinkhornOnline(X, Y, a, b, eps, &c.o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		f0, g0 := centred(dense.F, dense.G)
		f1, g1 := centred(on.F, on.G)
		df, dg := maxAbsDiff(f0, f1)/eps, maxAbsDiff(g0, g1)/eps
		t.Logf("%s: %d iterations, potentials differ by %.2g, %.2g eps; dual %.10g vs %.10g, cost %.10g vs %.10g",
			c.name, on.Log.Iterations, df, dg, on.Dual, dense.Dual, on.Cost, dense.Cost)
		if df > c.tol || dg > c.tol {
			t.Errorf("%s: potentials differ by %.2g, %.2g eps, want < %.2g", c.name, df, dg, c.tol)
		}
		if math.Abs(on.Dual-dense.Dual) > c.tol*eps || math.Abs(on.Cost-dense.Cost) > c.tol*eps {
			t.Errorf("%s: dual %v vs %v, cost %v vs %v", c.name, on.Dual, dense.Dual, on.Cost, dense.Cost)
		}
		if on.Log.MarginalError > c.o.Tol || len(on.Log.Errors) != on.Log.Iterations {
			t.Errorf("%s: log %+v", c.name, on.Log.MarginalError)
		}
	}
}

// Costs far above eps, which float32 exponents cannot resolve, send the
// online solver to its float64 path: still the dense solution.
func TestSinkhornOnlineTinyEps(t *testing.T) {
	X, Y := testPoints32(31, 30, 2, 0), testPoints32(32, 25, 2, 0)
	for _, P := range []Points32{X, Y} {
		for i := range P.Data {
			P.Data[i] *= 300
		}
	}
	const eps = 2 // costs up to ~10^6 eps
	src := onlineSource(X, Y, false, eps, &SinkhornOptions{P: 2})
	if _, ok := src.(*source64); !ok {
		t.Fatalf("source %T, want the float64 one", src)
	}
	C, _ := Cost(X.Dense(), Y.Dense(), 2)
	o := &SinkhornOptions{Tol: 1e-5, MaxIter: 100000}
	dense, err := Sinkhorn(nil, nil, C, eps, o)
	if err != nil {
		t.Fatal(err)
	}
	// At costs of 10^6 eps the annealing must let the potentials settle
	// at every scale (plain Sinkhorn would stall), as the dense solver's
	// default of three iterations per epsilon does.
	o.StageIter = 3
	on, err := SinkhornOnline(X, Y, nil, nil, eps, o)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(on.Dual-dense.Dual) > 1e-5*math.Abs(dense.Dual) {
		t.Errorf("dual %v, dense %v", on.Dual, dense.Dual)
	}
}
