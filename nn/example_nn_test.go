package nn_test

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/nn"
)

// A parameter store, a graph over it, a Linear layer and its gradient:
// the building blocks every otgen model is made of.
func Example() {
	store := nn.NewStore(tensor.Float64)
	rng := rand.New(rand.NewPCG(1, 1))
	lin, err := nn.NewLinear(store, "fc", 3, 2, nn.GlorotUniform, rng)
	if err != nil {
		panic(err)
	}
	g := nn.NewGraph(store)
	x, xt := g.Input("x", 4, 3) // a batch of 4 rows of 3
	copy(xt.Data().([]float64), []float64{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1})
	y, err := lin.Forward(g, x)
	if err != nil {
		panic(err)
	}
	loss := G.Must(G.Sum(y)) // d loss / d w_ij = Σ_rows x_ri
	if _, err := G.Grad(loss, g.Params()...); err != nil {
		panic(err)
	}
	vm := G.NewTapeMachine(g.G, G.BindDualValues(g.Params()...))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		panic(err)
	}
	fmt.Println("parameters:", store.Names())
	w, _ := g.Param("fc.w")
	gw, _ := w.Grad()
	fmt.Println("shape of the weight gradient:", gw.Shape())
	fmt.Println("its values (each input's column sum):", gw.Data())
	// Output:
	// parameters: [fc.w fc.b]
	// shape of the weight gradient: (3, 2)
	// its values (each input's column sum): [2 2 2 2 2 2]
}
