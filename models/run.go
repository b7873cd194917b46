package models

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/nn"
)

// SamplePrior fills z (n×Latent values) with draws from the model's prior.
func (m *Model) SamplePrior(rng *rand.Rand, z []float32) {
	SamplePrior(m.Config.Prior, rng, z)
}

// SamplePrior fills z with draws from prior: N(0,1) or U[-1,1] for each
// value. It panics on a prior that is not one of the constants (Config's
// Validate rejects those before a model exists).
func SamplePrior(prior Prior, rng *rand.Rand, z []float32) {
	switch prior {
	case PriorUniform:
		for i := range z {
			z[i] = float32(2*rng.Float64() - 1)
		}
	case PriorGaussian:
		for i := range z {
			z[i] = float32(rng.NormFloat64())
		}
	default:
		panic(fmt.Sprintf("models: unknown prior %q", prior))
	}
}

// Generate decodes n latent codes z (n×Latent, row-major) and returns the
// decoded batch (n×DataDim), in evaluation mode: each code's output does not
// depend on the others.
func (m *Model) Generate(z []float32, n int) ([]float32, error) {
	if len(z) != n*m.Config.Latent || n <= 0 {
		return nil, fmt.Errorf("models: generate: %d values for %d codes of size %d", len(z), n, m.Config.Latent)
	}
	return m.run(z, []int{n, m.Config.Latent}, func(g *nn.Graph, in *G.Node) (*G.Node, error) {
		_, out, err := m.Decoder.Forward(g, in)
		return out, err
	})
}

// Encode returns the latent means (n×Latent) of n examples x (n×DataDim),
// in evaluation mode.
func (m *Model) Encode(x []float32, n int) ([]float32, error) {
	if m.Encoder == nil {
		return nil, errors.New("models: this model has no encoder")
	}
	if len(x) != n*m.Config.DataDim() || n <= 0 {
		return nil, fmt.Errorf("models: encode: %d values for %d examples of size %d", len(x), n, m.Config.DataDim())
	}
	return m.run(x, []int{n, m.Config.DataDim()}, func(g *nn.Graph, in *G.Node) (*G.Node, error) {
		mean, _, err := m.Encoder.Forward(g, in)
		return mean, err
	})
}

// Reconstruct encodes x (n×DataDim) to the latent means and decodes them.
func (m *Model) Reconstruct(x []float32, n int) ([]float32, error) {
	z, err := m.Encode(x, n)
	if err != nil {
		return nil, err
	}
	return m.Generate(z, n)
}

// run builds a one-off forward graph over the model's parameters in
// evaluation mode (running statistics, nothing updated), feeds in and
// returns the output values (converted to float32).
func (m *Model) run(in []float32, shape []int, f func(*nn.Graph, *G.Node) (*G.Node, error)) ([]float32, error) {
	g := nn.NewGraph(m.Store)
	g.SetTraining(false)
	x, xt := g.Input("in", shape...)
	switch d := xt.Data().(type) {
	case []float32:
		copy(d, in)
	case []float64:
		for i, v := range in {
			d[i] = float64(v)
		}
	}
	y, err := f(g, x)
	if err != nil {
		return nil, err
	}
	vm := G.NewTapeMachine(g.G)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		return nil, fmt.Errorf("models: forward: %w", err)
	}
	t, ok := y.Value().(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("models: forward produced %T", y.Value())
	}
	var out []float32
	switch d := t.Data().(type) {
	case []float32:
		out = append(out, d...)
	case []float64:
		out = make([]float32, len(d))
		for i, v := range d {
			out[i] = float32(v)
		}
	}
	for _, v := range out {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, errors.New("models: forward produced NaN or Inf")
		}
	}
	return out, nil
}
