package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/gradcheck"
)

// TestSquashValues compares the fused logistic and tanh nodes with the
// functions, in float32 and float64, at a size that runs in parallel.
func TestSquashValues(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, l := range []Layer{Sigmoid{}, Tanh{}} {
			rng := rand.New(rand.NewPCG(7, 8))
			g := NewGraph(NewStore(dt))
			x, xt := g.Input("x", 64, 1500)
			fill(xt, rng, 4)
			y, err := l.Forward(g, x)
			if err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g.G)
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			vm.Close()
			f := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
			if _, ok := l.(Tanh); ok {
				f = math.Tanh
			}
			tol := 1e-15
			if dt == tensor.Float32 {
				tol = 1e-7
			}
			for i := 0; i < 64*1500; i++ {
				var xi, yi float64
				if dt == tensor.Float32 {
					xi, yi = float64(xt.Data().([]float32)[i]), float64(y.Value().Data().([]float32)[i])
				} else {
					xi, yi = xt.Data().([]float64)[i], y.Value().Data().([]float64)[i]
				}
				if math.Abs(yi-f(xi)) > tol {
					t.Fatalf("%v %T(%g) = %g, want %g", dt, l, xi, yi, f(xi))
				}
			}
		}
	}
}

// TestSquashGradients checks the first derivatives of the fused nodes and
// the derivatives of those derivatives (a loss built on the gradient, as a
// gradient penalty is) against central differences.
func TestSquashGradients(t *testing.T) {
	for _, l := range []Layer{Sigmoid{}, Tanh{}} {
		rng := rand.New(rand.NewPCG(9, 10))
		g := NewGraph(NewStore(tensor.Float64))
		x, xt := g.Input("x", 3, 4)
		v, vt := g.Input("v", 3, 4)
		fill(xt, rng, 1.5)
		fill(vt, rng, 1)
		y, err := l.Forward(g, x)
		if err != nil {
			t.Fatal(err)
		}
		w := g.Constant("w", randVec(rng, 12), 3, 4)
		// First order through y = s(x); second order through the op's own
		// derivative node v ⊙ s′(y), the gradient of ⟨v, y⟩ w.r.t. x (built
		// by SymDiff as backpropagation builds it; Gorgonia's Grad cannot
		// be nested).
		gx, err := y.Op().(G.SDOp).SymDiff(G.Nodes{x}, y, v)
		if err != nil {
			t.Fatal(err)
		}
		loss := G.Must(G.Add(G.Must(G.Sum(G.Must(G.HadamardProd(w, y)))), G.Must(G.Sum(G.Must(G.Square(gx[0]))))))
		res, err := gradcheck.Check(g.G, loss, G.Nodes{x, v}, gradcheck.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.MaxErr > 1 || res.Checked != 24 {
			t.Fatalf("%T: gradient mismatch %.3g at %s (%d checked)", l, res.MaxErr, res.Where, res.Checked)
		}
		t.Logf("%T: %d partial derivatives, worst %.3g", l, res.Checked, res.MaxErr)
	}
}
