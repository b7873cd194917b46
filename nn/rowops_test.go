package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/gradcheck"
)

// TestRowOpsValues compares RowSquaredNorms and LerpRows with direct
// loops, in float32 and float64, at a size that runs in parallel.
func TestRowOpsValues(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		rng := rand.New(rand.NewPCG(3, 4))
		const rows, cols = 64, 1500 // above par.Rows' threshold
		g := NewGraph(NewStore(dt))
		x, xt := g.Input("x", rows, cols)
		a, at := g.Input("a", rows, cols)
		b, bt := g.Input("b", rows, cols)
		for _, v := range []*tensor.Dense{xt, at, bt} {
			fill(v, rng, 1)
		}
		sq, err := RowSquaredNorms(x)
		if err != nil {
			t.Fatal(err)
		}
		lerp, err := LerpRows(x, a, b)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g.G)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Close()
		get := func(v G.Value, i int) float64 {
			if dt == tensor.Float32 {
				return float64(v.Data().([]float32)[i])
			}
			return v.Data().([]float64)[i]
		}
		at64 := func(tt *tensor.Dense, i int) float64 { return get(tt, i) }
		tol := 1e-12
		if dt == tensor.Float32 {
			tol = 1e-5
		}
		for i := 0; i < rows; i++ {
			var want float64
			for j := 0; j < cols; j++ {
				k := i*cols + j
				want += at64(xt, k) * at64(xt, k)
				wl := at64(xt, k)*at64(at, k) + (1-at64(xt, k))*at64(bt, k)
				if got := get(lerp.Value(), k); math.Abs(got-wl) > tol*(1+math.Abs(wl)) {
					t.Fatalf("%v: lerp[%d, %d] = %g, want %g", dt, i, j, got, wl)
				}
			}
			if got := get(sq.Value(), i); math.Abs(got-want) > tol*want {
				t.Fatalf("%v: squared norm of row %d = %g, want %g", dt, i, got, want)
			}
		}
	}
}

// TestRowOpsGradients checks the derivatives of RowSquaredNorms (in x) and
// LerpRows (in a and b) against central differences.
func TestRowOpsGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	g := NewGraph(NewStore(tensor.Float64))
	x, xt := g.Input("x", 4, 5)
	tn, tt := g.Input("t", 4, 5)
	a, at := g.Input("a", 4, 5)
	b, bt := g.Input("b", 4, 5)
	for _, v := range []*tensor.Dense{xt, at, bt} {
		fill(v, rng, 1)
	}
	td := tt.Data().([]float64)
	for i := range td {
		td[i] = rng.Float64()
	}
	sq, err := RowSquaredNorms(x)
	if err != nil {
		t.Fatal(err)
	}
	lerp, err := LerpRows(tn, a, b)
	if err != nil {
		t.Fatal(err)
	}
	w1 := g.Constant("w1", randVec(rng, 4), 4)
	w2 := g.Constant("w2", randVec(rng, 20), 4, 5)
	loss := G.Must(G.Add(G.Must(G.Sum(G.Must(G.HadamardProd(sq, w1)))), G.Must(G.Sum(G.Must(G.HadamardProd(G.Must(G.Square(lerp)), w2))))))
	res, err := gradcheck.Check(g.G, loss, G.Nodes{x, a, b}, gradcheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxErr > 1 || res.Checked != 60 {
		t.Fatalf("gradient mismatch %.3g at %s (%d checked)", res.MaxErr, res.Where, res.Checked)
	}
	t.Logf("%d partial derivatives, worst %.3g", res.Checked, res.MaxErr)
	if _, err := RowSquaredNorms(G.Must(G.Sum(x, 1))); err == nil {
		t.Error("row norms of a vector accepted")
	}
	if _, err := LerpRows(tn, a, sq); err == nil {
		t.Error("lerp of mismatched shapes accepted")
	}
}
