package nn_test

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/nn"
)

// ExampleBatchNorm normalises a batch of four examples with two features.
// A graph starts in training mode: the batch's statistics normalise it and
// each run updates the running statistics (momentum 0.1, unbiased
// variance). In evaluation mode the same graph uses the running statistics.
func ExampleBatchNorm() {
	s := nn.NewStore(tensor.Float32)
	bn, err := nn.NewBatchNorm(s, "bn", 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	g := nn.NewGraph(s)
	x, xt := g.Input("x", 4, 2)
	copy(xt.Data().([]float32), []float32{1, 10, 2, 20, 3, 30, 4, 40})
	y, err := bn.Forward(g, x)
	if err != nil {
		fmt.Println(err)
		return
	}
	vm := G.NewTapeMachine(g.G)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("training:   %.3f\n", y.Value().Data())
	mean, _ := s.Value("bn" + nn.RunningMeanSuffix)
	vr, _ := s.Value("bn" + nn.RunningVarSuffix)
	fmt.Printf("running:    mean %.3f, var %.3f\n", mean.Data(), vr.Data())
	fmt.Println("parameters:", s.Names(), "buffers:", s.Buffers())

	g.SetTraining(false)
	vm.Reset()
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("evaluation: %.3f\n", y.Value().Data())
	// Output:
	// training:   [-1.342 -1.342 -0.447 -0.447 0.447 0.447 1.342 1.342]
	// running:    mean [0.250 2.500], var [1.067 17.567]
	// parameters: [bn.g bn.b] buffers: [bn.running_mean bn.running_var]
	// evaluation: [0.726 1.789 1.694 4.175 2.663 6.561 3.631 8.947]
}
