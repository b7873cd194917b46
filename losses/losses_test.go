package losses

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/gradcheck"
	"otgen/models"
	"otgen/nn"
)

func model64(t *testing.T, cfg Config, out string, act string) *models.Model {
	t.Helper()
	return model64Dim(t, cfg, out, act, 5)
}

func model64Dim(t *testing.T, cfg Config, out string, act string, dim int) *models.Model {
	t.Helper()
	mc := models.Config{Arch: "mlp", DataShape: []int{dim}, Latent: 2, Hidden: []int{6},
		Activation: act, Output: out, Prior: "gaussian", Seed: 3}
	if err := ConfigureModel(cfg, &mc); err != nil {
		t.Fatal(err)
	}
	m, err := models.New(mc, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fillStep puts seeded random values in the step's data and noise tensors.
func fillStep(st *Step, seed uint64, unitData bool) {
	rng := rand.New(rand.NewPCG(seed, 9))
	if st.Data != nil {
		for i, d := 0, st.Data.Data().([]float64); i < len(d); i++ {
			if unitData {
				d[i] = rng.Float64()
			} else {
				d[i] = rng.NormFloat64()
			}
		}
	}
	for _, n := range st.Noise {
		v := n.T.Data().([]float64)
		for i := range v {
			switch n.Dist {
			case Unit:
				v[i] = rng.Float64()
			case RowUnit:
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

func TestLossGradients(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		out  string
		unit bool
	}{
		{"vae-bernoulli", Config{Name: "vae", Likelihood: "bernoulli"}, "sigmoid", true},
		{"vae-gaussian", Config{Name: "vae", Likelihood: "gaussian", DecoderStd: 0.5}, "linear", false},
		{"wae-mmd", Defaults(Config{Name: "wae-mmd"}, nil, Data{Output: "linear"}), "linear", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := model64(t, c.cfg, c.out, "tanh")
			obj, err := New(c.cfg, m, 7)
			if err != nil {
				t.Fatal(err)
			}
			st := obj.Steps[0]
			fillStep(st, 1, c.unit)
			if len(st.Params) != len(m.Store.Names()) {
				t.Fatalf("step updates %d of %d parameters", len(st.Params), len(m.Store.Names()))
			}
			res, err := gradcheck.Check(st.Graph.G, st.Loss, st.Params, gradcheck.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.MaxErr > 1 {
				t.Fatalf("gradient mismatch %.3g at %s", res.MaxErr, res.Where)
			}
			t.Logf("%d partial derivatives checked, worst %.3g", res.Checked, res.MaxErr)
		})
	}
}

// TestMultiStepLossGradients checks every step of the GAN-family and OT
// losses (WGAN-GP's critic step is second order) against central
// differences, the unbalanced Sinkhorn divergence (--reach) and minibatch-w
// with the Euclidean ground cost included.
func TestMultiStepLossGradients(t *testing.T) {
	for _, c := range []Config{{Name: "aae"}, {Name: "wgan"}, {Name: "wgan-gp"}, {Name: "sinkhorn"}, {Name: "sinkhorn", Reach: 0.5}, {Name: "minibatch-w"}, {Name: "minibatch-w", Cost: costEuclid}} {
		name := c.Name
		if c.Reach > 0 {
			name += "-unbalanced"
		}
		if c.Cost != "" {
			name += "-" + c.Cost
		}
		t.Run(name, func(t *testing.T) {
			// Enough Sinkhorn iterations to converge: the envelope gradient
			// is exact at the optimum.
			c.M, c.K, c.Iters = 4, 3, 5000
			cfg := Defaults(c, nil, Data{Output: "linear"})
			for _, act := range []string{"tanh", "leaky_relu"} {
				m := model64Dim(t, cfg, "linear", act, 2)
				obj, err := New(cfg, m, 7)
				if err != nil {
					t.Fatal(err)
				}
				for si, st := range obj.Steps {
					fillStep(st, uint64(10+si), false)
					res, err := gradcheck.Check(st.Graph.G, st.Loss, st.Params, gradcheck.Options{Rtol: 1e-4, MaxPerNode: 40})
					if err != nil {
						t.Fatal(err)
					}
					if res.MaxErr > 1 {
						t.Fatalf("%s/%s step %s: gradient mismatch %.3g at %s", name, act, st.Name, res.MaxErr, res.Where)
					}
					t.Logf("%s/%s step %s: %d partial derivatives, worst %.3g", name, act, st.Name, res.Checked, res.MaxErr)
				}
			}
		})
	}
}

// TestMMDValue compares the graph's MMD with a direct computation.
func TestMMDValue(t *testing.T) {
	cfg := Defaults(Config{Name: "wae-mmd"}, nil, Data{Output: "linear"})
	m := model64(t, cfg, "linear", "relu")
	obj, err := New(cfg, m, 6)
	if err != nil {
		t.Fatal(err)
	}
	st := obj.Steps[0]
	fillStep(st, 2, false)
	vm := G.NewTapeMachine(st.Graph.G)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	z, err := m.Encode(toF32(st.Data.Data().([]float64)), 6)
	if err != nil {
		t.Fatal(err)
	}
	zp := st.Noise[0].T.Data().([]float64)
	n, dz := 6, 2
	k := func(a, b []float64) float64 {
		d := 0.0
		for i := range a {
			d += (a[i] - b[i]) * (a[i] - b[i])
		}
		s := 0.0
		for _, sc := range cfg.Scales {
			c := 2 * float64(dz) * sc
			s += c / (c + d)
		}
		return s
	}
	row := func(v []float64, i int) []float64 { return v[i*dz : (i+1)*dz] }
	z64 := make([]float64, len(z))
	for i, v := range z {
		z64[i] = float64(v)
	}
	var kxx, kyy, kxy float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i != j {
				kxx += k(row(z64, i), row(z64, j))
				kyy += k(row(zp, i), row(zp, j))
			}
			kxy += k(row(z64, i), row(zp, j))
		}
	}
	want := (kxx+kyy)/float64(n*(n-1)) - 2*kxy/float64(n*n)
	got := st.Metrics[2].Node.Value().Data().(float64)
	if math.Abs(got-want) > 1e-5 {
		t.Fatalf("mmd %v, want %v", got, want)
	}
}

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func TestBadSettings(t *testing.T) {
	bad := []Config{
		{Name: "gan"},
		{Name: "wae-mmd", Lambda: -1, Scales: []float64{1}},
		{Name: "wae-mmd", Lambda: 1, Scales: []float64{0}},
		{Name: "vae", Likelihood: "poisson"},
		{Name: "vae", Likelihood: "gaussian", DecoderStd: 0},
		{Name: "aae", Lambda: -1, Cost: "l2sq", NCritic: 1},
		{Name: "aae", Lambda: 1, Cost: "l3", NCritic: 1},
		{Name: "wgan-gp", Lambda: -10, NCritic: 5},
		{Name: "wgan", NCritic: 0, Clip: 0.01},
		{Name: "wgan", NCritic: 5, Clip: -1},
		{Name: "sinkhorn", Eps: 0, Iters: 10},
		{Name: "sinkhorn", Eps: -0.1, Iters: 10},
		{Name: "sinkhorn", Eps: 0.1, Iters: 0},
		{Name: "sinkhorn", Eps: 0.1, Iters: 10, Reach: -1},
		{Name: "sinkhorn", Eps: 0.1, Iters: 10, Reach: math.Inf(1)},
		{Name: "minibatch-w", K: 0, M: 8},
		{Name: "minibatch-w", K: 3, M: 0},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	cfg := Defaults(Config{Name: "vae"}, nil, Data{Output: "sigmoid"})
	m := model64(t, Config{Name: "wae-mmd"}, "linear", "relu") // deterministic encoder
	if _, err := New(cfg, m, 8); err == nil {
		t.Error("vae on a deterministic encoder accepted")
	}
	if err := (Config{Name: "minibatch-w", K: 2, M: 65}).CheckBatch(64); err == nil {
		t.Error("m larger than the batch accepted")
	}
	if _, err := New(Defaults(Config{Name: "wae-mmd"}, nil, Data{Output: "linear"}), m, 1); err == nil {
		t.Error("batch of 1 accepted")
	}
}

// TestIMQMMDOpGradient checks the custom op's gradients w.r.t. both point
// clouds against central differences.
func TestIMQMMDOpGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	g := G.NewGraph()
	mk := func(name string, n int) *G.Node {
		d := make([]float64, n*3)
		for i := range d {
			d[i] = rng.NormFloat64()
		}
		return G.NodeFromAny(g, tensor.New(tensor.WithShape(n, 3), tensor.WithBacking(d)), G.WithName(name))
	}
	x, y := mk("x", 6), mk("y", 5)
	v, err := pointLoss(imqMMD{cs: []float64{0.5, 3}}, x, y)
	if err != nil {
		t.Fatal(err)
	}
	// Compose with another expression so the incoming gradient is not 1.
	loss := G.Must(G.Mul(v, G.NewConstant(2.5)))
	res, err := gradcheck.Check(g, loss, G.Nodes{x, y}, gradcheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxErr > 1 || res.Checked != 33 {
		t.Fatalf("gradient mismatch %.3g at %s (%d checked)", res.MaxErr, res.Where, res.Checked)
	}
}

// TestAAEDiscLossValue compares the discriminator step's loss, which runs
// the discriminator once over the prior and the encoded codes together,
// with its definition: λ·(mean softplus(−D(z_p)) + mean softplus(D(Q(x)))),
// D evaluated on each batch separately.
func TestAAEDiscLossValue(t *testing.T) {
	cfg := Defaults(Config{Name: "aae", Lambda: 1.5}, nil, Data{Output: "linear"})
	m := model64(t, cfg, "linear", "leaky_relu")
	const n, dz = 6, 2
	obj, err := New(cfg, m, n)
	if err != nil {
		t.Fatal(err)
	}
	st := obj.Steps[0]
	fillStep(st, 4, false)
	vm := G.NewTapeMachine(st.Graph.G)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	zq32, err := m.Encode(toF32(st.Data.Data().([]float64)), n)
	if err != nil {
		t.Fatal(err)
	}
	zq := make([]float64, len(zq32))
	for i, v := range zq32 {
		zq[i] = float64(v)
	}
	// logits returns D's logit for each row of z.
	logits := func(z []float64) []float64 {
		g := nn.NewGraph(m.Store)
		in, buf := g.Input("z", n, dz)
		copy(buf.Data().([]float64), z)
		l, err := m.Critic.Forward(g, in)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g.G)
		defer vm.Close()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		return append([]float64(nil), l.Value().Data().([]float64)...)
	}
	softplus := func(v float64) float64 { return math.Log1p(math.Exp(v)) }
	var sp, sq float64
	for _, l := range logits(st.Noise[0].T.Data().([]float64)) {
		sp += softplus(-l)
	}
	for _, l := range logits(zq) {
		sq += softplus(l)
	}
	want := cfg.Lambda * (sp + sq) / n
	if got := st.Loss.Value().Data().(float64); math.Abs(got-want) > 1e-5*math.Abs(want) {
		t.Fatalf("discriminator loss %v, want %v", got, want)
	}
}
