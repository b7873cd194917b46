package losses_test

import (
	"fmt"
	"math/rand/v2"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/losses"
	"otgen/models"
)

// Build the WGAN-GP objective over a small MLP: the loss fills in its
// defaults and configures the model (a generator and a critic on the
// data), then New returns its optimisation steps. The training loop fills
// each step's Data and Noise tensors and runs its graph.
func Example() {
	spec, _ := losses.Lookup("wgan-gp")
	data := losses.Data{Name: "8gaussians", Shape: []int{2}, Output: "linear"}
	cfg := losses.Defaults(losses.Config{Name: spec.Name}, nil, data)
	mc := models.Config{Arch: "mlp", DataShape: []int{2}, Latent: 2, Hidden: []int{16, 16},
		Activation: "relu", Output: "linear", Prior: models.PriorGaussian, Seed: 1}
	if err := losses.ConfigureModel(cfg, &mc); err != nil {
		panic(err)
	}
	m, err := models.New(mc, tensor.Float64)
	if err != nil {
		panic(err)
	}
	obj, err := losses.New(cfg, m, 8)
	if err != nil {
		panic(err)
	}
	fmt.Println(spec.Paper)
	fmt.Printf("lambda %g, n_critic %d\n", cfg.Lambda, cfg.NCritic)
	for _, st := range obj.Steps {
		fmt.Printf("step %s: %d times, %d parameter tensors\n", st.Name, st.Repeat, len(st.Params))
	}

	// Run the critic step once on random data and noise.
	st := obj.Steps[0]
	rng := rand.New(rand.NewPCG(1, 2))
	for _, t := range append([]*tensor.Dense{st.Data}, st.Noise[0].T, st.Noise[1].T) {
		for i, d := 0, t.Data().([]float64); i < len(d); i++ {
			d[i] = rng.Float64()
		}
	}
	vm := gorgonia.NewTapeMachine(st.Graph.G)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		panic(err)
	}
	fmt.Println("critic loss is a scalar:", st.Loss.Shape().IsScalar())
	// Output:
	// Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville 2017, Improved Training of Wasserstein GANs (NeurIPS)
	// lambda 0.1, n_critic 5
	// step critic: 5 times, 6 parameter tensors
	// step generator: 1 times, 6 parameter tensors
	// critic loss is a scalar: true
}
