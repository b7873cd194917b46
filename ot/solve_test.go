package ot

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// MethodAuto picks by size and weights and says what it picked; the exact
// methods agree with each other and with the 1-D solver, the entropic
// ones with Sinkhorn and SinkhornOnline.
func TestSolveAutoAndMethodsAgree(t *testing.T) {
	X, Y := testCloud(1, 40, 3, 0), testCloud(2, 40, 3, 0.5)
	a, b := testWeights(3, 40), testWeights(4, 40)
	C, _ := Cost(X, Y, 2)
	for _, c := range []struct {
		name string
		a, b []float64
		o    *SolveOptions
		want Method
	}{
		{"uniform square", nil, nil, nil, MethodAssignment},
		{"weights", a, b, nil, MethodExact},
		{"reg", a, b, &SolveOptions{Reg: 0.1}, MethodSinkhorn},
		{"reach", a, b, &SolveOptions{Reg: 0.1, Reach: 1}, MethodSinkhorn},
	} {
		res, err := Solve(c.a, c.b, C, c.o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if res.Method != c.want || !res.Converged {
			t.Errorf("%s: auto chose %s (converged %v), want %s", c.name, res.Method, res.Converged, c.want)
		}
		sres, err := SolveSample(X, Y, c.a, c.b, c.o)
		if err != nil {
			t.Fatal(err)
		}
		if sres.Method != c.want || math.Abs(sres.Value-res.Value) > 1e-9*math.Abs(res.Value) {
			t.Errorf("%s: SolveSample chose %s with value %v; Solve %s %v", c.name, sres.Method, sres.Value, res.Method, res.Value)
		}
	}
	// The exact methods agree.
	emd, _ := EMD(a, b, C, nil)
	for _, m := range []Method{MethodExact, MethodSimplex} {
		res, err := Solve(a, b, C, &SolveOptions{Method: m, Plan: true})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(res.Value-emd.Cost) > 1e-12 || res.Plan == nil || res.ValueLinear != res.Value || len(res.F) != 40 {
			t.Errorf("%s: value %v, EMD %v", m, res.Value, emd.Cost)
		}
	}
	as, err := Solve(nil, nil, C, &SolveOptions{Method: MethodAssignment})
	if err != nil {
		t.Fatal(err)
	}
	emdU, _ := EMD(nil, nil, C, &EMDOptions{ForceSimplex: true})
	if math.Abs(as.Value-emdU.Cost) > 1e-12 {
		t.Errorf("assignment %v, simplex %v", as.Value, emdU.Cost)
	}
	// 1-D: auto picks the sorting solver, which agrees with EMD.
	x1, y1 := mat.NewDense(30, 1, randVec(5, 30, 1, 0)), mat.NewDense(20, 1, randVec(6, 20, 2, 1))
	r1, err := SolveSample(x1, y1, nil, nil, &SolveOptions{Plan: true})
	if err != nil {
		t.Fatal(err)
	}
	C1, _ := Cost(x1, y1, 2)
	e1, _ := EMD(nil, nil, C1, nil)
	if r1.Method != Method1D || math.Abs(r1.Value-e1.Cost) > 1e-12 || r1.Plan == nil {
		t.Errorf("1d: %s %v, EMD %v", r1.Method, r1.Value, e1.Cost)
	}
	// Entropic: online agrees with the dense solver; warm starts go
	// through the Sinkhorn options; the error history is there.
	so := &SinkhornOptions{Tol: 1e-11, MaxIter: 10000, Precision: PrecisionFloat64}
	dense, err := SolveSample(X, Y, a, b, &SolveOptions{Method: MethodSinkhorn, Reg: 0.2, Sinkhorn: so})
	if err != nil {
		t.Fatal(err)
	}
	on, err := SolveSample(X, Y, a, b, &SolveOptions{Method: MethodOnline, Reg: 0.2, Sinkhorn: so})
	if err != nil {
		t.Fatal(err)
	}
	// The online method rounds the points to float32.
	if on.Method != MethodOnline || math.Abs(on.Value-dense.Value) > 1e-6*math.Abs(dense.Value) || len(on.Errors) != on.Iterations {
		t.Errorf("online %v (%d iterations, %d errors), sinkhorn %v", on.Value, on.Iterations, len(on.Errors), dense.Value)
	}
	warmOpts := *so
	warmOpts.InitF, warmOpts.InitG = dense.F, dense.G
	warm, err := SolveSample(X, Y, a, b, &SolveOptions{Method: MethodSinkhorn, Reg: 0.2, Sinkhorn: &warmOpts})
	if err != nil {
		t.Fatal(err)
	}
	if warm.Iterations > 2 {
		t.Errorf("warm start took %d iterations, cold %d", warm.Iterations, dense.Iterations)
	}
	// Sliced: SW_p^p.
	sw, _ := SlicedWasserstein(X, Y, a, b, 20, 2, 7)
	rs, err := SolveSample(X, Y, a, b, &SolveOptions{Method: MethodSliced, Projections: 20, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(rs.Value-sw*sw) > 1e-12 {
		t.Errorf("sliced %v, want %v", rs.Value, sw*sw)
	}
}

// Image-sized points: the exact methods compute the costs in float32 and
// the value in float64, equal to the float64 solution.
func TestSolveSampleFloat32Costs(t *testing.T) {
	X, Y := imageCloud(1, 30, 512), imageCloud(2, 30, 512)
	res, err := SolveSample(X, Y, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	C, _ := Cost(X, Y, 2)
	want, _ := EMD2(nil, nil, C)
	if math.Abs(res.Value-want) > 1e-12*want {
		t.Errorf("value %v, float64 EMD %v", res.Value, want)
	}
}

func TestSolveBadInputAndNotConverged(t *testing.T) {
	X, Y := testCloud(1, 6, 2, 0), testCloud(2, 5, 2, 0)
	C, _ := Cost(X, Y, 2)
	for name, f := range map[string]func() error{
		"unknown method": func() error { _, err := Solve(nil, nil, C, &SolveOptions{Method: "emd3"}); return err },
		"online matrix":  func() error { _, err := Solve(nil, nil, C, &SolveOptions{Method: MethodOnline, Reg: 1}); return err },
		"reg exact":      func() error { _, err := Solve(nil, nil, C, &SolveOptions{Method: MethodExact, Reg: 1}); return err },
		"no reg":         func() error { _, err := Solve(nil, nil, C, &SolveOptions{Method: MethodSinkhorn}); return err },
		"negative reg":   func() error { _, err := Solve(nil, nil, C, &SolveOptions{Reg: -1}); return err },
		"assignment":     func() error { _, err := Solve(nil, nil, C, &SolveOptions{Method: MethodAssignment}); return err },
		"nil matrix":     func() error { _, err := Solve(nil, nil, nil, nil); return err },
		"1d dims":        func() error { _, err := SolveSample(X, Y, nil, nil, &SolveOptions{Method: Method1D}); return err },
		"sample dims":    func() error { _, err := SolveSample(X, testCloud(3, 5, 3, 0), nil, nil, nil); return err },
		"weights":        func() error { _, err := SolveSample(X, Y, []float64{1}, nil, nil); return err },
		"reach exact":    func() error { _, err := SolveSample(X, Y, nil, nil, &SolveOptions{Reach: 1}); return err },
	} {
		if err := f(); !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v, want ErrInput", name, err)
		}
	}
	res, err := SolveSample(testCloud(4, 100, 2, 0), testCloud(5, 80, 2, 1), nil, nil,
		&SolveOptions{Method: MethodOnline, Reg: 0.01, Sinkhorn: &SinkhornOptions{MaxIter: 3, Tol: 1e-12}})
	if !errors.Is(err, ErrNotConverged) || res == nil || res.Converged || res.Iterations != 3 {
		t.Errorf("not converged: %v, %+v", err, res)
	}
}
