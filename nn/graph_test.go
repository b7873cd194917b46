package nn

import (
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestTapeMachineRunsOnlyWhatRootsNeed differentiates a two-convolution
// network w.r.t. its second layer only. G.Grad then also builds the
// gradient w.r.t. the first layer's output (an input of the second
// convolution that depends on a parameter), a stray convData node that
// nothing uses: Gorgonia's whole-graph machine runs it, NewTapeMachine must
// not, and both must give the same gradient.
func TestTapeMachineRunsOnlyWhatRootsNeed(t *testing.T) {
	grads := map[bool][]float64{}
	for _, pruned := range []bool{false, true} {
		s := NewStore(tensor.Float64)
		rng := rand.New(rand.NewPCG(1, 2))
		c1, err := NewConv2d(s, "c1", 2, 3, 4, 2, 1, HeNormal, rng)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := NewConv2d(s, "c2", 3, 2, 4, 2, 1, HeNormal, rng)
		if err != nil {
			t.Fatal(err)
		}
		g := NewGraph(s)
		x, xt := g.Input("x", 3, 2, 8, 8)
		copy(xt.Data().([]float64), randVec(rng, 3*2*8*8))
		h, err := c1.Forward(g, x)
		if err != nil {
			t.Fatal(err)
		}
		y, err := c2.Forward(g, h)
		if err != nil {
			t.Fatal(err)
		}
		loss := G.Must(G.Sum(G.Must(G.Square(y))))
		w2, _ := g.Param("c2.w")
		gw, err := G.Grad(loss, w2)
		if err != nil {
			t.Fatal(err)
		}
		var stray []*G.Node
		for _, n := range g.G.AllNodes() {
			if n.Op() != nil && strings.HasPrefix(n.Op().String(), "convData") {
				stray = append(stray, n)
			}
		}
		if len(stray) != 1 {
			t.Fatalf("%d convData nodes, want the one stray gradient", len(stray))
		}
		var vm G.VM
		if pruned {
			vm, err = NewTapeMachine(g.G, append(G.Nodes{loss}, gw...), G.BindDualValues(w2))
			if err != nil {
				t.Fatal(err)
			}
		} else {
			vm = G.NewTapeMachine(g.G, G.BindDualValues(w2))
		}
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		if ran := stray[0].Value() != nil; ran == pruned {
			t.Errorf("pruned %v: stray gradient node ran: %v", pruned, ran)
		}
		grad, err := w2.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grads[pruned] = append([]float64(nil), grad.Data().([]float64)...)
		vm.Close()
	}
	for i, v := range grads[true] {
		if v != grads[false][i] {
			t.Fatalf("gradient %d: %v pruned, %v whole graph", i, v, grads[false][i])
		}
	}
}
