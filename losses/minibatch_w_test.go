package losses

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"

	"otgen/ot"
)

// TestMinibatchWGroundCost: with one pair of minibatches as large as the
// batch, minibatch-w's value is the exact OT cost between the generated
// and the data batch for its ground cost, ‖x − y‖² or ‖x − y‖; a
// configuration without a cost (a run saved before the setting existed)
// keeps ‖x − y‖², so that it resumes as it trained; the defaults are
// ‖x − y‖ on the 2-D toys and ‖x − y‖² on images.
func TestMinibatchWGroundCost(t *testing.T) {
	points := Data{Name: "8gaussians", Shape: []int{2}, Output: "linear"}
	images := Data{Name: "mnist", Shape: []int{1, 28, 28}, Output: "sigmoid"}
	if c := Defaults(Config{Name: "minibatch-w"}, nil, points).Cost; c != costEuclid {
		t.Errorf("8-Gaussians default cost %q, want %q", c, costEuclid)
	}
	if c := Defaults(Config{Name: "minibatch-w"}, nil, images).Cost; c != costSqEuclid {
		t.Errorf("MNIST default cost %q, want %q", c, costSqEuclid)
	}
	const n = 7
	for _, tc := range []struct {
		cost string
		p    float64
	}{{"", 2}, {costSqEuclid, 2}, {costEuclid, 1}} {
		cfg := Config{Name: "minibatch-w", K: 1, M: n, Cost: tc.cost}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("cost %q: %v", tc.cost, err)
		}
		m := model64Dim(t, cfg, "linear", "tanh", 2)
		obj, err := New(cfg, m, n)
		if err != nil {
			t.Fatal(err)
		}
		st := obj.Steps[0]
		fillStep(st, 5, false)
		vm := G.NewTapeMachine(st.Graph.G)
		err = vm.RunAll()
		vm.Close()
		if err != nil {
			t.Fatal(err)
		}
		var z []float64
		for _, nz := range st.Noise {
			if nz.Dist != Unit {
				z = nz.T.Data().([]float64)
			}
		}
		gen, err := m.Generate(toF32(z), n)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float64, len(gen))
		for i, v := range gen {
			x[i] = float64(v)
		}
		M, err := ot.Cost(mat.NewDense(n, 2, x), mat.NewDense(n, 2, st.Data.Data().([]float64)), tc.p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ot.EMD2(nil, nil, M)
		if err != nil {
			t.Fatal(err)
		}
		got := st.Loss.Value().Data().(float64)
		if math.Abs(got-want) > 1e-5*math.Max(1, want) {
			t.Errorf("cost %q: value %v, want the exact OT cost with ‖x − y‖^%g, %v", tc.cost, got, tc.p, want)
		}
	}
	for _, bad := range []string{"cosine", "l2sq"} {
		err := Config{Name: "minibatch-w", K: 1, M: n, Cost: bad}.Validate()
		if err == nil || !strings.Contains(err.Error(), "cost \""+bad+"\"") || strings.Contains(err.Error(), "\n") {
			t.Errorf("cost %q: %v, want a one-line error naming it", bad, err)
		}
	}
}
