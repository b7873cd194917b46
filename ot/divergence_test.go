package ot

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestSinkhornDivergenceIdenticalIsZero(t *testing.T) {
	X := testCloud(31, 50, 3, 0)
	a := testWeights(32, 50)
	for _, eps := range []float64{1, 0.3} {
		res, err := SinkhornDivergence(X, X, a, a, eps, &SinkhornOptions{Tol: 1e-11, MaxIter: 100000})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(res.Value) > 1e-9 {
			t.Fatalf("eps %v: S(X, X) = %g", eps, res.Value)
		}
		if g := mat.Norm(res.GradX, math.Inf(1)) + mat.Norm(res.GradY, math.Inf(1)); g > 1e-8 {
			t.Fatalf("eps %v: gradient %g at X = Y", eps, g)
		}
	}
}

func TestSinkhornDivergencePositiveAndDual(t *testing.T) {
	X, Y := testCloud(33, 40, 2, 0), testCloud(34, 35, 2, 0.5)
	a, b := testWeights(35, 40), testWeights(36, 35)
	prev := 0.0
	for _, shift := range []float64{0.1, 0.5, 1, 2} {
		Ys := mat.DenseCopyOf(Y)
		for i := 0; i < 35; i++ {
			Ys.Set(i, 0, Y.At(i, 0)+shift)
		}
		res, err := SinkhornDivergence(X, Ys, a, b, 0.1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !(res.Value > prev) {
			t.Fatalf("shift %v: S = %g, not above %g", shift, res.Value, prev)
		}
		prev = res.Value
	}
}

func TestSinkhornDivergenceMatchesSinkhornDuals(t *testing.T) {
	X, Y := testCloud(41, 40, 2, 0), testCloud(42, 35, 2, 0.5)
	a, b := testWeights(43, 40), testWeights(44, 35)
	const eps = 0.5
	res, err := SinkhornDivergence(X, Y, a, b, eps, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Three independent plain Sinkhorn solves (the non-averaged iteration
	// is slow on the symmetric problems, hence MaxIter).
	o := &SinkhornOptions{MaxIter: 100000}
	ab, err := Sinkhorn(a, b, mustCost(t, X, Y), eps, o)
	if err != nil {
		t.Fatal(err)
	}
	aa, err := Sinkhorn(a, a, mustCost(t, X, X), eps, o)
	if err != nil {
		t.Fatal(err)
	}
	bb, err := Sinkhorn(b, b, mustCost(t, Y, Y), eps, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := ab.Dual - (aa.Dual+bb.Dual)/2; math.Abs(want-res.Value) > 1e-8 {
		t.Fatalf("S = %.12g, from Sinkhorn duals %.12g", res.Value, want)
	}
}

func TestSinkhornDivergenceGradient(t *testing.T) {
	X, Y := testCloud(37, 12, 2, 0), testCloud(38, 9, 2, 0.7)
	a, b := testWeights(39, 12), testWeights(40, 9)
	for _, p := range []float64{2, 1.5, 3} {
		o := &SinkhornOptions{Tol: 1e-13, MaxIter: 200000, P: p}
		res, err := SinkhornDivergence(X, Y, a, b, 0.2, o)
		if err != nil {
			t.Fatal(err)
		}
		value := func(X, Y *mat.Dense) float64 {
			r, err := SinkhornDivergence(X, Y, a, b, 0.2, o)
			if err != nil {
				t.Fatal(err)
			}
			return r.Value
		}
		const h = 1e-5
		check := func(name string, P, G *mat.Dense, other *mat.Dense, first bool) {
			r, c := P.Dims()
			for i := 0; i < r; i++ {
				for k := 0; k < c; k++ {
					Pp, Pm := mat.DenseCopyOf(P), mat.DenseCopyOf(P)
					Pp.Set(i, k, P.At(i, k)+h)
					Pm.Set(i, k, P.At(i, k)-h)
					var fd float64
					if first {
						fd = (value(Pp, other) - value(Pm, other)) / (2 * h)
					} else {
						fd = (value(other, Pp) - value(other, Pm)) / (2 * h)
					}
					if g := G.At(i, k); math.Abs(g-fd) > 1e-6+1e-5*math.Abs(fd) {
						t.Fatalf("p=%v %s[%d,%d] = %.10g, finite difference %.10g", p, name, i, k, g, fd)
					}
				}
			}
		}
		check("GradX", X, res.GradX, Y, true)
		check("GradY", Y, res.GradY, X, false)
	}
}

func TestSinkhornDivergenceBadInput(t *testing.T) {
	X, Y := testCloud(1, 5, 2, 0), testCloud(2, 4, 3, 0)
	if _, err := SinkhornDivergence(X, Y, nil, nil, 0.1, nil); !errors.Is(err, ErrInput) {
		t.Fatal(err)
	}
	Y = testCloud(2, 4, 2, 0)
	if _, err := SinkhornDivergence(X, Y, nil, nil, 0, nil); !errors.Is(err, ErrInput) {
		t.Fatal(err)
	}
	if _, err := SinkhornDivergence(X, Y, []float64{1}, nil, 0.1, nil); !errors.Is(err, ErrInput) {
		t.Fatal(err)
	}
	if _, err := SinkhornDivergence(X, nil, nil, nil, 0.1, nil); !errors.Is(err, ErrInput) {
		t.Fatal(err)
	}
}

// TestSinkhornSelf: the self-transport value is the divergence's OT_eps(a, a)
// and its gradient matches finite differences, for p = 1 (the learned
// costs' image cost) and p = 2.
func TestSinkhornSelf(t *testing.T) {
	X, Y := testCloud(41, 11, 2, 0), testCloud(42, 7, 2, 0.5)
	a := testWeights(43, 11)
	for _, p := range []float64{1, 2} {
		o := &SinkhornOptions{Tol: 1e-13, MaxIter: 200000, P: p}
		v, grad, err := SinkhornSelf(X, a, 0.3, o)
		if err != nil {
			t.Fatal(err)
		}
		div, err := SinkhornDivergence(X, Y, a, nil, 0.3, o)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(v-div.OTaa) > 1e-9 {
			t.Fatalf("p=%v: OT_eps(a, a) = %.12g, the divergence's OTaa %.12g", p, v, div.OTaa)
		}
		const h = 1e-5
		for i := 0; i < 11; i++ {
			for k := 0; k < 2; k++ {
				Xp, Xm := mat.DenseCopyOf(X), mat.DenseCopyOf(X)
				Xp.Set(i, k, X.At(i, k)+h)
				Xm.Set(i, k, X.At(i, k)-h)
				vp, _, err := SinkhornSelf(Xp, a, 0.3, o)
				if err != nil {
					t.Fatal(err)
				}
				vm, _, err := SinkhornSelf(Xm, a, 0.3, o)
				if err != nil {
					t.Fatal(err)
				}
				fd := (vp - vm) / (2 * h)
				if g := grad.At(i, k); math.Abs(g-fd) > 1e-6+1e-5*math.Abs(fd) {
					t.Fatalf("p=%v grad[%d,%d] = %.10g, finite difference %.10g", p, i, k, g, fd)
				}
			}
		}
	}
	if _, _, err := SinkhornSelf(X, a[:3], 0.3, nil); !errors.Is(err, ErrInput) {
		t.Fatalf("wrong weight count: %v", err)
	}
	if _, _, err := SinkhornSelf(X, nil, 0.3, &SinkhornOptions{Reach: 1}); !errors.Is(err, ErrInput) {
		t.Fatalf("reach: %v", err)
	}
	if _, _, err := SinkhornSelf(X, nil, 0, nil); !errors.Is(err, ErrInput) {
		t.Fatalf("eps 0: %v", err)
	}
}
