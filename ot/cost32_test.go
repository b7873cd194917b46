package ot

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// imageCloud returns n "images" of d pixels in [0, 1]: a common random
// background plus per-image noise, so that the costs are small against
// the norms (the hard case for |x|² + |y|² - 2<x, y>).
func imageCloud(seed uint64, n, d int) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 5))
	bgRng := rand.New(rand.NewPCG(1, 1)) // the same background for every seed
	bg := make([]float64, d)
	for k := range bg {
		bg[k] = 0.2 + 0.6*bgRng.Float64()
	}
	X := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for k := 0; k < d; k++ {
			X.Set(i, k, min(1, max(0, bg[k]+0.1*rng.NormFloat64())))
		}
	}
	return X
}

// Cost32 agrees with the float64 Cost to float32 rounding of the inner
// products, for every exponent, also on image-like clouds far from the
// origin.
func TestCost32MatchesCost(t *testing.T) {
	for _, c := range []struct {
		name string
		X, Y *mat.Dense
	}{
		{"gaussian d=300", testCloud(1, 30, 300, 0), testCloud(2, 20, 300, 0.3)},
		{"images d=3072", imageCloud(3, 12, 3072), imageCloud(4, 9, 3072)},
	} {
		for _, p := range []float64{2, 1, 3} {
			want, err := Cost(c.X, c.Y, p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Cost32(c.X, c.Y, p)
			if err != nil {
				t.Fatal(err)
			}
			var into mat.Dense
			if err := Cost32Into(&into, c.X, c.Y, p); err != nil {
				t.Fatal(err)
			}
			if !mat.Equal(got, &into) {
				t.Fatalf("%s p=%v: Cost32Into differs from Cost32", c.name, p)
			}
			worst := 0.0
			r, cols := want.Dims()
			for i := 0; i < r; i++ {
				for j := 0; j < cols; j++ {
					worst = math.Max(worst, math.Abs(got.At(i, j)-want.At(i, j))/want.At(i, j))
				}
			}
			t.Logf("%s p=%v: worst relative error %.2g", c.name, p, worst)
			if worst > 1e-5 {
				t.Errorf("%s p=%v: relative error %.2g, want < 1e-5", c.name, p, worst)
			}
		}
	}
	X := testCloud(5, 4, 3, 0)
	if _, err := Cost32(X, testCloud(6, 4, 2, 0), 2); !errors.Is(err, ErrInput) {
		t.Errorf("dimensions differ: %v", err)
	}
	if err := Cost32Into(X, X, X, 2); !errors.Is(err, ErrInput) {
		t.Errorf("aliased destination: %v", err)
	}
	if err := Cost32Into(mat.NewDense(3, 3, nil), X, X, 2); !errors.Is(err, ErrInput) {
		t.Errorf("wrong destination shape: %v", err)
	}
}

// The minibatch estimator with float32 pair costs (the default from
// Float32MinDim on) finds the same plans as with float64 costs on
// image-like clouds, and its value, recomputed in float64 from the plans,
// agrees to rounding; so do the gradients.
func TestMinibatchFloat32Costs(t *testing.T) {
	X, Y := imageCloud(7, 60, 1024), imageCloud(8, 50, 1024)
	for _, solver := range []Method{MethodExact, MethodSimplex} {
		o := &MinibatchOptions{M: 20, K: 6, Seed: 3, Grad: true, Solver: solver, CostPrecision: PrecisionFloat64}
		r64, err := MinibatchWasserstein(X, Y, o)
		if err != nil {
			t.Fatal(err)
		}
		o.CostPrecision = PrecisionAuto
		r32, err := MinibatchWasserstein(X, Y, o)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r32.Value-r64.Value) > 1e-12*r64.Value {
			t.Errorf("%s: value %v with float32 costs, %v with float64", solver, r32.Value, r64.Value)
		}
		if !mat.EqualApprox(r32.GradX, r64.GradX, 1e-12) || !mat.EqualApprox(r32.GradY, r64.GradY, 1e-12) {
			t.Errorf("%s: gradients differ: different plans", solver)
		}
		o.NoGradY = true
		rx, err := MinibatchWasserstein(X, Y, o)
		if err != nil {
			t.Fatal(err)
		}
		if rx.GradY != nil || !mat.Equal(rx.GradX, r32.GradX) || rx.Value != r32.Value {
			t.Errorf("%s: NoGradY changed GradX or the value, or left GradY", solver)
		}
	}
	// Entropic pairs keep float64 costs unless float32 is asked for.
	o := &MinibatchOptions{M: 20, K: 3, Seed: 3, Solver: MethodSinkhorn, Eps: 5}
	a, err := MinibatchWasserstein(X, Y, o)
	if err != nil {
		t.Fatal(err)
	}
	o.CostPrecision = PrecisionFloat64
	b, err := MinibatchWasserstein(X, Y, o)
	if err != nil {
		t.Fatal(err)
	}
	o.CostPrecision = PrecisionFloat32
	c, err := MinibatchWasserstein(X, Y, o)
	if err != nil {
		t.Fatal(err)
	}
	if a.Value != b.Value || math.Abs(c.Value-b.Value) > 1e-5*b.Value {
		t.Errorf("sinkhorn: values %v (auto), %v (float64), %v (float32)", a.Value, b.Value, c.Value)
	}
	o.CostPrecision = 7
	if _, err := MinibatchWasserstein(X, Y, o); !errors.Is(err, ErrInput) {
		t.Errorf("unknown precision: %v", err)
	}
}
