package optim_test

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/optim"
)

// Adam minimising (w - 3)² from w = 0: the tape machine computes the
// gradient, Step applies the update and clears the gradient.
func Example() {
	g := G.NewGraph()
	w := G.NewVector(g, tensor.Float32, G.WithShape(1), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float32{0}))))
	d := G.Must(G.Sub(w, G.NewConstant(float32(3))))
	loss := G.Must(G.Sum(G.Must(G.Square(d))))
	if _, err := G.Grad(loss, w); err != nil {
		panic(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(w))
	defer vm.Close()
	opt, err := optim.New("adam", 0.1, 0.9, 0.999, G.Nodes{w}, nil)
	if err != nil {
		panic(err)
	}
	for i := 0; i < 300; i++ {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			panic(err)
		}
		if err := opt.Step(); err != nil {
			panic(err)
		}
	}
	fmt.Printf("w = %.2f after %d steps\n", w.Value().Data().([]float32)[0], opt.T)
	// Output: w = 3.00 after 300 steps
}
