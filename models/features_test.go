package models_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/losses"
	"otgen/models"
	"otgen/nn"
)

// TestFeatureCriticShapes: with Features = D the critic on the data (MLP
// and dcgan at both image sizes) outputs D values per example, keeps its
// parameter names, and bad feature counts are errors.
func TestFeatureCriticShapes(t *testing.T) {
	cases := []models.Config{
		{Arch: "mlp", DataShape: []int{2}, Hidden: []int{6}, Critic: []int{5}},
		{Arch: "dcgan", DataShape: []int{1, 28, 28}, Channels: 2},
		{Arch: "dcgan", DataShape: []int{3, 64, 64}, Channels: 2},
	}
	for _, mc := range cases {
		mc.Latent, mc.Activation, mc.Output, mc.Prior, mc.Seed = 3, "relu", "tanh", "gaussian", 1
		mc.Encoder, mc.CriticOn, mc.Features = models.EncoderNone, models.CriticOnData, 7
		m, err := models.New(mc, tensor.Float64)
		if err != nil {
			t.Fatalf("%v: %v", mc.DataShape, err)
		}
		head := "critic.1.w"
		if mc.Arch == "dcgan" {
			head = "critic.out.w"
		}
		w, ok := m.Store.Value(head)
		if !ok {
			t.Fatalf("%v: no %s in %s", mc.DataShape, head, strings.Join(m.Store.Names(), " "))
		}
		if s := w.Shape(); s[len(s)-1] != 7 {
			t.Fatalf("%v: head %s of shape %v, want 7 outputs", mc.DataShape, head, s)
		}
		g := nn.NewGraph(m.Store)
		x, _ := g.Input("x", 4, mc.DataDim())
		y, err := m.Critic.Forward(g, x)
		if err != nil {
			t.Fatal(err)
		}
		if !y.Shape().Eq(tensor.Shape{4, 7}) {
			t.Fatalf("%v: critic output %v, want 4×7", mc.DataShape, y.Shape())
		}
		u, _ := g.Input("u", 4, 5)
		if _, _, err := m.Critic.ForwardWithInputGradSeed(g, x, u); err == nil {
			t.Errorf("%v: a 4×5 seed for 4×7 outputs accepted", mc.DataShape)
		}
	}
	bad := cases[0]
	bad.Latent, bad.Activation, bad.Output, bad.Prior = 3, "relu", "tanh", "gaussian"
	bad.Encoder, bad.CriticOn = models.EncoderNone, models.CriticOnData
	for _, f := range []int{-1, models.MaxWidth + 1} {
		bad.Features = f
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "features") {
			t.Errorf("features %d: %v", f, err)
		}
	}
	bad.Features, bad.CriticOn = 4, models.CriticOnLatent
	if err := bad.Validate(); err == nil {
		t.Error("features on a latent critic accepted")
	}
}

// TestDCGANFeatureCriticGradients checks both steps of sinkhorn-gan with
// the gradient penalty on a tiny dcgan against central differences: the
// critic's step runs through the OT op, both passes of the convolutional
// critic and its input gradient (second order) to the critic's parameters.
func TestDCGANFeatureCriticGradients(t *testing.T) {
	mc := models.Config{Arch: "dcgan", DataShape: []int{1, 28, 28}, Latent: 3, Channels: 2,
		Activation: "relu", Output: "tanh", Prior: "gaussian", Seed: 5}
	lc := losses.Defaults(losses.Config{Name: "sinkhorn-gan", Features: 3, Iters: 5000}, nil, losses.Data{Shape: mc.DataShape, Output: mc.Output})
	if err := losses.ConfigureModel(lc, &mc); err != nil {
		t.Fatal(err)
	}
	checkStepGradients(t, mc, lc, fillFeatures, 30)
}

// fillFeatures puts seeded values in a step's data (in [-1,1]) and noise
// tensors (uniform in [0,1]: interpolation weights, minibatch draws, and
// directions, which need not be unit vectors for a gradient check).
func fillFeatures(st *losses.Step, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 9))
	var ts []G.Value
	if st.Data != nil {
		ts = append(ts, st.Data)
	}
	for _, n := range st.Noise {
		ts = append(ts, n.T)
	}
	for k, t := range ts {
		for i, d := 0, t.Data().([]float64); i < len(d); i++ {
			d[i] = rng.Float64()
			if k == 0 && st.Data != nil {
				d[i] = 2*d[i] - 1
			}
		}
	}
}
