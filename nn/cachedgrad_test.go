package nn

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestCachedGrad: the node is the cached values times the incoming scalar,
// in the input's shape and type, reads the cache at each run, and refuses a
// cache of the wrong size.
func TestCachedGrad(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		g := G.NewGraph()
		x := G.NewMatrix(g, dt, G.WithShape(2, 3), G.WithName("x"), G.WithInit(G.Zeroes()))
		var up *G.Node
		if dt == tensor.Float32 {
			up = G.NewScalar(g, dt, G.WithName("up"), G.WithValue(float32(-2)))
		} else {
			up = G.NewScalar(g, dt, G.WithName("up"), G.WithValue(-2.0))
		}
		src := []float64{1, 2, 3, 4, 5, 6}
		out, err := CachedGrad("test", &src, x, up)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		if !out.Shape().Eq(tensor.Shape{2, 3}) || out.Dtype() != dt {
			t.Fatalf("%v: output %v %v", dt, out.Shape(), out.Dtype())
		}
		got := out.Value().(*tensor.Dense)
		for i, v := range src {
			if w := got.Get(i); !(w == float32(-2*v) || w == -2*v) {
				t.Errorf("%v: value %d = %v, want %v", dt, i, w, -2*v)
			}
		}
		// The cache is read at each run: a forward pass refills it.
		src = []float64{0, 0, 0, 0, 0, 1}
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		if w := out.Value().(*tensor.Dense).Get(5); !(w == float32(-2) || w == -2.0) {
			t.Errorf("%v: after a refill value 5 = %v, want -2", dt, w)
		}
		src = src[:4]
		vm.Reset()
		if err := vm.RunAll(); err == nil || !strings.Contains(err.Error(), "4 cached values for an input of 6") {
			t.Errorf("%v: a cache of the wrong size: %v", dt, err)
		}
		vm.Close()
	}
}
