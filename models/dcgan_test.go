package models_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"otgen/internal/gradcheck"
	"otgen/losses"
	"otgen/models"
)

func dcganConfig(shape []int, channels int, loss string) (models.Config, losses.Config) {
	mc := models.Config{Arch: "dcgan", DataShape: shape, Latent: 3, Channels: channels,
		Activation: "relu", Output: "tanh", Prior: "gaussian", Seed: 5}
	lc := losses.Defaults(losses.Config{Name: loss}, nil, losses.Data{Shape: mc.DataShape, Output: mc.Output})
	if err := losses.ConfigureModel(lc, &mc); err != nil {
		panic(err)
	}
	return mc, lc
}

func TestDCGANShapes(t *testing.T) {
	for _, shape := range [][]int{{1, 28, 28}, {3, 64, 64}} {
		for _, loss := range []string{"vae", "wgan-gp", "aae"} {
			mc, _ := dcganConfig(shape, 4, loss)
			m, err := models.New(mc, tensor.Float32)
			if err != nil {
				t.Fatalf("%v %s: %v", shape, loss, err)
			}
			names := strings.Join(m.Store.Names(), " ")
			want := []string{"dec.fc.w", "dec.t0.w", "dec.t1.b"}
			if loss == "wgan-gp" {
				plain := mc
				plain.CriticNorm = "none"
				pm, err := models.New(plain, tensor.Float32)
				if err != nil {
					t.Fatalf("%v critic norm none: %v", shape, err)
				}
				if pn := strings.Join(pm.Store.Names(), " "); strings.Contains(pn, "critic.n") || !strings.Contains(pn, "critic.c1.w") {
					t.Errorf("%v critic norm none: parameters %s", shape, pn)
				}
			}
			switch loss {
			case "vae":
				want = append(want, "enc.c0.w", "enc.c1.w", "enc.mean.w", "enc.logvar.w")
			case "wgan-gp":
				want = append(want, "critic.c0.w", "critic.c1.w", "critic.n1.g", "critic.out.w")
			case "aae":
				want = append(want, "enc.c0.w", "critic.0.w")
			}
			for _, n := range want {
				if !strings.Contains(names, n) {
					t.Errorf("%v %s: parameter %s missing from %s", shape, loss, n, names)
				}
			}
			dim := mc.DataDim()
			const n = 3
			rng := rand.New(rand.NewPCG(1, 2))
			z := make([]float32, n*mc.Latent)
			m.SamplePrior(rng, z)
			x, err := m.Generate(z, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(x) != n*dim {
				t.Fatalf("%v: generated %d values, want %d", shape, len(x), n*dim)
			}
			for _, v := range x {
				if v < -1 || v > 1 {
					t.Fatalf("tanh output %v", v)
				}
			}
			if m.Encoder == nil {
				continue
			}
			zz, err := m.Encode(x, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(zz) != n*mc.Latent {
				t.Fatalf("encoded %d values", len(zz))
			}
			r, err := m.Reconstruct(x, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(r) != n*dim {
				t.Fatalf("reconstructed %d values", len(r))
			}
		}
	}
}

func TestDCGANBadShape(t *testing.T) {
	mc, _ := dcganConfig([]int{1, 32, 32}, 4, "vae")
	if _, err := models.New(mc, tensor.Float32); err == nil {
		t.Fatal("dcgan accepted 1×32×32")
	}
}

// TestDCGANGradients checks the gradients of a tiny dcgan VAE and of every
// WGAN-GP step (the critic step is second order: the penalty differentiates
// the critic's input gradient, built through conv, LayerNorm and LeakyReLU)
// against central differences, on 1×28×28 with 2 base channels.
// The "wgan-gp/no-norm" case is the critic without LayerNorm
// (Config.CriticNorm "none"), whose second-order graph is another one.
func TestDCGANGradients(t *testing.T) {
	for _, loss := range []string{"vae", "wgan-gp", "wgan-gp/no-norm"} {
		t.Run(loss, func(t *testing.T) {
			loss, variant, _ := strings.Cut(loss, "/")
			mc, lc := dcganConfig([]int{1, 28, 28}, 2, loss)
			if variant == "no-norm" {
				mc.CriticNorm = "none"
			}
			if loss == "vae" {
				lc = losses.Defaults(losses.Config{Name: "vae", Likelihood: "gaussian", DecoderStd: 0.5}, nil, losses.Data{Output: "tanh"})
			}
			checkStepGradients(t, mc, lc, fill, 20)
		})
	}
}

// checkStepGradients builds the model and objective of mc and lc in
// float64 (batch 3), fills each step's inputs with fill (seeds seed0,
// seed0+1, ...) and checks the step's parameter gradients against central
// differences, a few entries per parameter.
func checkStepGradients(t *testing.T, mc models.Config, lc losses.Config, fill func(*losses.Step, uint64), seed0 uint64) {
	t.Helper()
	m, err := models.New(mc, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	// Zero biases behind ReLUs put some pre-activations exactly on the
	// kink (a dead input patch gives bias + 0); small random biases move
	// them off it.
	prng := rand.New(rand.NewPCG(3, 4))
	for _, name := range m.Store.Names() {
		if strings.HasSuffix(name, ".b") {
			v, _ := m.Store.Value(name)
			for i, d := 0, v.Data().([]float64); i < len(d); i++ {
				d[i] = 0.1 * prng.NormFloat64()
			}
		}
	}
	obj, err := losses.New(lc, m, 3)
	if err != nil {
		t.Fatal(err)
	}
	for si, st := range obj.Steps {
		fill(st, seed0+uint64(si))
		res, err := gradcheck.Check(st.Graph.G, st.Loss, st.Params, gradcheck.Options{Rtol: 1e-4, MaxPerNode: 6})
		if err != nil {
			t.Fatal(err)
		}
		if res.MaxErr > 1 {
			t.Fatalf("step %s: gradient mismatch %.3g at %s", st.Name, res.MaxErr, res.Where)
		}
		t.Logf("step %s: %d partial derivatives, worst %.3g", st.Name, res.Checked, res.MaxErr)
	}
}

// fill puts seeded values in a step's data (in [-1,1]) and noise tensors.
func fill(st *losses.Step, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 9))
	if st.Data != nil {
		for i, d := 0, st.Data.Data().([]float64); i < len(d); i++ {
			d[i] = 2*rng.Float64() - 1
		}
	}
	for _, n := range st.Noise {
		v := n.T.Data().([]float64)
		for i := range v {
			switch n.Dist {
			case losses.Unit:
				v[i] = rng.Float64()
			case losses.RowUnit:
				cols := n.T.Shape()[1]
				if i%cols == 0 {
					v[i] = rng.Float64()
				} else {
					v[i] = v[i-1]
				}
			default:
				v[i] = rng.NormFloat64()
			}
		}
	}
}
