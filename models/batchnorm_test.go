package models_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/gradcheck"
	"otgen/losses"
	"otgen/models"
	"otgen/nn"
)

// TestDCGANBatchNormLayout: Norm "batch" puts a BatchNorm after every
// encoder convolution, after the decoder's Linear and after every transposed
// convolution but the last, none in the critic, and leaves every other
// parameter as it is without normalisation.
func TestDCGANBatchNormLayout(t *testing.T) {
	for _, c := range []struct {
		shape []int
		loss  string
		want  []string
	}{
		{[]int{1, 28, 28}, "vae", []string{"enc.n0", "enc.n1", "dec.nfc", "dec.n0"}},
		{[]int{3, 64, 64}, "vae", []string{"enc.n0", "enc.n1", "enc.n2", "enc.n3", "dec.nfc", "dec.n0", "dec.n1", "dec.n2"}},
		{[]int{1, 28, 28}, "wgan-gp", []string{"dec.nfc", "dec.n0"}},
	} {
		mc, _ := dcganConfig(c.shape, 4, c.loss)
		plain, err := models.New(mc, tensor.Float32)
		if err != nil {
			t.Fatal(err)
		}
		if len(plain.Store.Buffers()) != 0 {
			t.Fatalf("%v %s: buffers %v without normalisation", c.shape, c.loss, plain.Store.Buffers())
		}
		mc.Norm = "batch"
		m, err := models.New(mc, tensor.Float32)
		if err != nil {
			t.Fatal(err)
		}
		var wantBuf []string
		for _, bn := range c.want {
			wantBuf = append(wantBuf, bn+nn.RunningMeanSuffix, bn+nn.RunningVarSuffix)
			for _, p := range []string{bn + ".g", bn + ".b"} {
				if !slices.Contains(m.Store.Names(), p) {
					t.Errorf("%v %s: parameter %s missing", c.shape, c.loss, p)
				}
			}
		}
		if got := m.Store.Buffers(); !slices.Equal(got, wantBuf) {
			t.Errorf("%v %s: buffers %v, want %v", c.shape, c.loss, got, wantBuf)
		}
		// The other parameters are the same, with the same initial values.
		for _, name := range plain.Store.Names() {
			a, _ := plain.Store.Value(name)
			b, ok := m.Store.Value(name)
			if !ok || !slices.Equal(a.Data().([]float32), b.Data().([]float32)) {
				t.Fatalf("%v %s: parameter %s differs with batch norm", c.shape, c.loss, name)
			}
		}
		if c.loss == "wgan-gp" && !slices.Contains(m.Store.Names(), "critic.n1.g") {
			t.Errorf("the critic lost its LayerNorm")
		}
	}
}

// warmUp runs the decoder and encoder of m in training mode on three
// batches of 8, so that the running statistics are no longer 0 and 1. It
// returns the decoder's training-mode output for z alone and for z as the
// first code of a batch.
func warmUp(t *testing.T, m *models.Model, z0 []float32) (alone, inBatch []float32) {
	t.Helper()
	rng := rand.New(rand.NewPCG(51, 52))
	forward := func(n int) (*nn.Graph, *tensor.Dense, *G.Node) {
		g := nn.NewGraph(m.Store)
		z, zt := g.Input("z", n, m.Config.Latent)
		_, x, err := m.Decoder.Forward(g, z)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.Encoder.Forward(g, x); err != nil {
			t.Fatal(err)
		}
		return g, zt, x
	}
	run := func(g *nn.Graph) {
		vm := G.NewTapeMachine(g.G)
		defer vm.Close()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
	g, zt, x := forward(8)
	for i := 0; i < 3; i++ {
		m.SamplePrior(rng, zt.Data().([]float32))
		copy(zt.Data().([]float32), z0)
		run(g)
	}
	inBatch = append([]float32(nil), x.Value().Data().([]float32)[:m.Config.DataDim()]...)
	g1, zt1, x1 := forward(1)
	copy(zt1.Data().([]float32), z0)
	run(g1)
	return x1.Value().Data().([]float32), inBatch
}

// maxDiff returns the largest |a[i] − b[i]|.
func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// TestDCGANBatchNormEvalMode: after training-mode runs have moved the
// running statistics, Generate, Encode and Reconstruct are deterministic,
// change no running statistic, and give every example the output it gets
// alone; in training mode, where the batch is normalised as a whole, the
// same comparison differs.
func TestDCGANBatchNormEvalMode(t *testing.T) {
	mc, _ := dcganConfig([]int{1, 28, 28}, 4, "vae")
	mc.Norm = "batch"
	m, err := models.New(mc, tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	rng := rand.New(rand.NewPCG(53, 54))
	z := make([]float32, n*mc.Latent)
	m.SamplePrior(rng, z)
	alone, inBatch := warmUp(t, m, z[:mc.Latent])
	if d := maxDiff(alone, inBatch); d < 1e-2 {
		t.Fatalf("training mode: a code alone and in a batch differ by only %g", d)
	}
	buffers := func() []float32 {
		var out []float32
		for _, ts := range m.Store.Tensors() {
			if ts.Buffer {
				out = append(out, ts.Data...)
			}
		}
		return out
	}
	before := buffers()
	if v, _ := m.Store.Value("dec.nfc" + nn.RunningVarSuffix); v.Data().([]float32)[0] == 1 {
		t.Fatal("the training-mode runs left the running variance at 1")
	}
	x, err := m.Generate(z, n)
	if err != nil {
		t.Fatal(err)
	}
	again, err := m.Generate(z, n)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x, again) {
		t.Fatal("Generate is not deterministic")
	}
	enc, err := m.Encode(x, n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Reconstruct(x, n); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, buffers()) {
		t.Fatal("Generate, Encode or Reconstruct changed the running statistics")
	}
	dim := mc.DataDim()
	// The same code alone or in the batch: the same image (up to the
	// rounding of matrix products of different sizes).
	const tol = 1e-5
	for i := 0; i < n; i++ {
		xi, err := m.Generate(z[i*mc.Latent:(i+1)*mc.Latent], 1)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(xi, x[i*dim:(i+1)*dim]); d > tol {
			t.Fatalf("code %d: generated alone and in a batch differ by %g", i, d)
		}
		ei, err := m.Encode(x[i*dim:(i+1)*dim], 1)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(ei, enc[i*mc.Latent:(i+1)*mc.Latent]); d > tol {
			t.Fatalf("example %d: encoded alone and in a batch differ by %g", i, d)
		}
	}
}

// TestDCGANBatchNormGradients checks the gradients of every step of a tiny
// batch-normalised dcgan VAE and WGAN-GP (whose generator step goes through
// the decoder's batch norms, and whose critic step runs the generator in
// training mode) against central differences.
func TestDCGANBatchNormGradients(t *testing.T) {
	for _, loss := range []string{"vae", "wgan-gp"} {
		t.Run(loss, func(t *testing.T) {
			mc, lc := dcganConfig([]int{1, 28, 28}, 2, loss)
			if loss == "vae" {
				lc = losses.Defaults(losses.Config{Name: "vae", Likelihood: "gaussian", DecoderStd: 0.5}, nil, losses.Data{Output: "tanh"})
			}
			mc.Norm = "batch"
			m, err := models.New(mc, tensor.Float64)
			if err != nil {
				t.Fatal(err)
			}
			// Random biases, gains and shifts (constants would hide errors).
			prng := rand.New(rand.NewPCG(55, 56))
			for _, name := range m.Store.Names() {
				v, _ := m.Store.Value(name)
				d := v.Data().([]float64)
				for i := range d {
					switch {
					case strings.HasSuffix(name, ".g"):
						d[i] = 1 + 0.3*prng.NormFloat64()
					case strings.HasSuffix(name, ".b"):
						d[i] = 0.1 * prng.NormFloat64()
					}
				}
			}
			obj, err := losses.New(lc, m, 3)
			if err != nil {
				t.Fatal(err)
			}
			for si, st := range obj.Steps {
				for _, name := range st.ParamNames {
					if m.Store.IsBuffer(name) {
						t.Fatalf("step %s updates buffer %s", st.Name, name)
					}
				}
				fill(st, uint64(60+si))
				// H 1e-5 rather than 1e-6: the biases of convolutions
				// followed by batch norm have a gradient of exactly zero,
				// which the check compares with the rounding noise of the
				// loss differences, about 1e-16·|L|/H.
				res, err := gradcheck.Check(st.Graph.G, st.Loss, st.Params, gradcheck.Options{H: 1e-5, Rtol: 1e-4, MaxPerNode: 6})
				if err != nil {
					t.Fatal(err)
				}
				if res.MaxErr > 1 {
					t.Fatalf("step %s: gradient mismatch %.3g at %s", st.Name, res.MaxErr, res.Where)
				}
				t.Logf("step %s: %d partial derivatives, worst %.3g", st.Name, res.Checked, res.MaxErr)
			}
		})
	}
}

// TestDCGANBatchNormCriticRefused: a critic with batch normalisation under
// a gradient penalty is a clear error when the graph is built.
func TestDCGANBatchNormCriticRefused(t *testing.T) {
	s := nn.NewStore(tensor.Float32)
	rng := rand.New(rand.NewPCG(57, 58))
	conv, err := nn.NewConv2d(s, "critic.c0", 1, 2, 4, 2, 1, nn.HeNormal, rng)
	if err != nil {
		t.Fatal(err)
	}
	bn, err := nn.NewBatchNorm(s, "critic.n0", 2)
	if err != nil {
		t.Fatal(err)
	}
	out, err := nn.NewLinear(s, "critic.out", 2*14*14, 1, nn.GlorotUniform, rng)
	if err != nil {
		t.Fatal(err)
	}
	critic := &models.Critic{Net: nn.Sequential{nn.Reshape{Shape: []int{1, 28, 28}}, conv, bn, nn.LeakyReLU{Alpha: 0.2}, nn.Flatten{}, out}}
	g := nn.NewGraph(s)
	x, _ := g.Input("x", 4, 784)
	_, _, err = critic.ForwardWithInputGrad(g, x)
	if err == nil || !strings.Contains(err.Error(), "LayerNorm") {
		t.Fatalf("batch norm in a penalised critic: %v", err)
	}
	t.Log(err)
}

// ExampleModel_Generate builds a batch-normalised DCGAN generator for
// 1×28×28 images: training graphs (nn.NewGraph) normalise with the batch's
// statistics and update the running ones; Generate runs in evaluation mode
// with the running statistics.
func ExampleModel_Generate() {
	cfg := models.Config{Arch: "dcgan", DataShape: []int{1, 28, 28}, Latent: 8, Channels: 8,
		Activation: "relu", Output: "tanh", Encoder: "none", Prior: "gaussian", Norm: "batch", Seed: 1}
	m, err := models.New(cfg, tensor.Float32)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("buffers:", strings.Join(m.Store.Buffers(), " "))
	z := make([]float32, 2*cfg.Latent)
	m.SamplePrior(rand.New(rand.NewPCG(1, 2)), z)
	x, err := m.Generate(z, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(x), "pixels")
	// Output:
	// buffers: dec.nfc.running_mean dec.nfc.running_var dec.n0.running_mean dec.n0.running_var
	// 1568 pixels
}
