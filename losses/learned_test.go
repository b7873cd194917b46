package losses

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/gradcheck"
	"otgen/ot"
)

// TestLearnedCostOpGradients checks the OT op's gradients w.r.t. both
// point sets (the generated and the real features: the critic needs both)
// against central differences, for both OT losses and the three ground
// costs on features.
func TestLearnedCostOpGradients(t *testing.T) {
	seedT := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{0.3, 0.7}))
	funcs := map[string]func(cost string) pointFunc{
		// Enough iterations to converge: the envelope gradient is exact
		// at the optimum.
		"sinkhorn": func(cost string) pointFunc {
			return learnedSinkhorn(Config{Cost: cost, Iters: 5000, Eps: 0.5})
		},
		"sinkhorn-repulsive": func(cost string) pointFunc {
			return repulsiveSinkhorn{learnedSinkhorn(Config{Cost: cost, Iters: 5000, Eps: 0.5})}
		},
		"minibatch-w": func(cost string) pointFunc {
			return &minibatchW{opts: ot.MinibatchOptions{M: 4, K: 3, P: groundPower(cost), Grad: true}, seed: seedT}
		},
		// Self terms on halves of 3 and 2 rows (y's last row left out),
		// pairs of 2.
		"minibatch-w-debiased": func(cost string) pointFunc {
			return debiasedMinibatchW{&minibatchW{opts: ot.MinibatchOptions{M: 2, K: 3, P: groundPower(cost), Grad: true}, seed: seedT}}
		},
		// Halves of 3 and 2 rows (y's last row left out), pairs of 2.
		"minibatch-w-repulsive": func(cost string) pointFunc {
			return &repulsiveMinibatchW{selfTerms{opts: ot.MinibatchOptions{M: 2, K: 3, P: groundPower(cost), Grad: true}, seed: seedT}}
		},
	}
	for name, newF := range funcs {
		for _, cost := range []string{costSqEuclid, costEuclid, costCosine} {
			t.Run(name+"/"+cost, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(4, 6))
				g := G.NewGraph()
				mk := func(name string, n int) *G.Node {
					d := make([]float64, n*3)
					for i := range d {
						d[i] = rng.NormFloat64()
					}
					return G.NodeFromAny(g, tensor.New(tensor.WithShape(n, 3), tensor.WithBacking(d)), G.WithName(name))
				}
				x, y := mk("x", 6), mk("y", 5)
				f := newF(cost)
				if cost == costCosine {
					f = cosineCost{f}
				}
				v, err := pointLoss(f, x, y)
				if err != nil {
					t.Fatal(err)
				}
				// The critic maximises: an incoming gradient of −1.5.
				loss := G.Must(G.Mul(v, G.NewConstant(-1.5)))
				res, err := gradcheck.Check(g, loss, G.Nodes{x, y}, gradcheck.Options{Rtol: 1e-4})
				if err != nil {
					t.Fatal(err)
				}
				if res.MaxErr > 1 || res.Checked != 33 {
					t.Fatalf("gradient mismatch %.3g at %s (%d checked)", res.MaxErr, res.Where, res.Checked)
				}
				t.Logf("%d partial derivatives, worst %.3g", res.Checked, res.MaxErr)
			})
		}
	}
}

// TestLearnedLossGradients checks both steps of the learned-cost losses
// against central differences: the critic's step through the OT op and
// both of the critic's passes (and, with the gradient penalty, its input
// gradient, second order) to the critic's parameters; the generator's step
// through the critic's features of the generated batch to the generator.
func TestLearnedLossGradients(t *testing.T) {
	for _, loss := range []struct {
		name, critic string
		debias       bool
	}{
		{"sinkhorn-gan", criticDivergence, false}, {"sinkhorn-gan", criticRepulsive, false},
		{"minibatch-w-gan", "", false}, {"minibatch-w-gan", criticRepulsive, false},
		{"minibatch-w-gan", "", true}, {"minibatch-w-gan", criticRepulsive, true},
	} {
		name := loss.name
		for _, reg := range []string{guardGP, guardClip} {
			for _, cost := range []string{costSqEuclid, costEuclid, costCosine} {
				t.Run(fmt.Sprintf("%s/%s/debias=%v/%s/%s", name, loss.critic, loss.debias, reg, cost), func(t *testing.T) {
					cfg := Defaults(Config{Name: name, M: 5, K: 2, Iters: 5000, Eps: 0.5, Features: 3, CriticReg: reg, Cost: cost, CriticLoss: loss.critic, Debias: loss.debias},
						&Training{Batch: 7}, Data{Shape: []int{2}, Output: "linear"})
					for _, act := range []string{"tanh", "leaky_relu"} {
						m := model64Dim(t, cfg, "linear", act, 2)
						if m.Config.Features != 3 {
							t.Fatalf("model config %+v, want 3 critic features", m.Config)
						}
						obj, err := New(cfg, m, 7)
						if err != nil {
							t.Fatal(err)
						}
						if len(obj.Steps) != 2 || obj.Steps[0].Name != "critic" || obj.Steps[1].Name != "generator" {
							t.Fatalf("steps %v", obj.Steps)
						}
						for si, st := range obj.Steps {
							fillStep(st, uint64(20+si), false)
							res, err := gradcheck.Check(st.Graph.G, st.Loss, st.Params, gradcheck.Options{Rtol: 1e-4, MaxPerNode: 30})
							if err != nil {
								t.Fatal(err)
							}
							if res.MaxErr > 1 {
								t.Fatalf("%s step %s: gradient mismatch %.3g at %s", act, st.Name, res.MaxErr, res.Where)
							}
							prefix := map[string]string{"critic": "critic.", "generator": "dec."}[st.Name]
							for _, p := range st.ParamNames {
								if !strings.HasPrefix(p, prefix) {
									t.Fatalf("step %s updates %s", st.Name, p)
								}
							}
							t.Logf("%s step %s: %d partial derivatives, worst %.3g at %s", act, st.Name, res.Checked, res.MaxErr, res.Where)
						}
					}
				})
			}
		}
	}
}

// TestLearnedBadSettings: a feature dimension below 1, an unknown ground
// cost or guard are one-line errors naming the setting.
func TestLearnedBadSettings(t *testing.T) {
	d := Data{Name: "mnist", Shape: []int{1, 28, 28}, Output: "sigmoid"}
	for _, name := range []string{"sinkhorn-gan", "minibatch-w-gan"} {
		for _, tc := range []struct {
			edit func(*Config)
			want string
		}{
			{func(c *Config) { c.Features = 0 }, "feature-dim 0"},
			{func(c *Config) { c.Features = -3 }, "feature-dim -3"},
			{func(c *Config) { c.Cost = "l2sq" }, `cost "l2sq"`},
			{func(c *Config) { c.Cost = "manhattan" }, `cost "manhattan"`},
			{func(c *Config) { c.CriticReg = "ae" }, `critic-reg "ae"`},
			{func(c *Config) { c.CriticLoss = "attractive" }, `critic-loss "attractive"`},
		} {
			c := Defaults(Config{Name: name}, nil, d)
			if err := c.Validate(); err != nil {
				t.Fatalf("%s defaults: %v", name, err)
			}
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: %v, want a one-line error about %s", name, err, tc.want)
			}
		}
	}
}

// TestLearnedSinkhornLimit: sinkhorn-gan's divergence takes the ground cost
// of its configuration, and at a large ε it is the divergence's MMD limit
// (Genevay et al. 2018, Theorem 1; Feydy et al. 2019): half the energy
// distance E‖x − y‖ − ½E‖x − x'‖ − ½E‖y − y'‖ for ‖x − y‖, the squared
// distance of the means for ‖x − y‖², both computed here directly.
func TestLearnedSinkhornLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	const n, m, d = 9, 7, 3
	x, y := make([]float64, n*d), make([]float64, m*d)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for i := range y {
		y[i] = 0.5 + 2*rng.NormFloat64()
	}
	meanDist := func(a, b []float64, p float64) float64 {
		s := 0.0
		for i := 0; i < len(a)/d; i++ {
			for j := 0; j < len(b)/d; j++ {
				q := 0.0
				for k := 0; k < d; k++ {
					q += (a[i*d+k] - b[j*d+k]) * (a[i*d+k] - b[j*d+k])
				}
				s += math.Pow(q, p/2)
			}
		}
		return s / float64(len(a)/d*len(b)/d)
	}
	for _, tc := range []struct {
		cost string
		p    float64
	}{{costEuclid, 1}, {costSqEuclid, 2}} {
		want := meanDist(x, y, tc.p) - meanDist(x, x, tc.p)/2 - meanDist(y, y, tc.p)/2
		f := learnedSinkhorn(Config{Cost: tc.cost, Iters: 1000, Eps: 1e6})
		got, err := f.eval(x, y, n, m, d, make([]float64, n*d), make([]float64, m*d))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-4*want {
			t.Errorf("cost %s at ε 1e6: divergence %.6g, want its MMD limit %.6g", tc.cost, got, want)
		}
		// The repulsive critic loss tends to Wang et al.'s L_D^rep with the
		// kernel −c: ½E c(x, x') − ½E c(y, y'), x generated, y data.
		want = meanDist(x, x, tc.p)/2 - meanDist(y, y, tc.p)/2
		got, err = repulsiveSinkhorn{f}.eval(x, y, n, m, d, make([]float64, n*d), make([]float64, m*d))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-4*math.Abs(want) {
			t.Errorf("cost %s at ε 1e6: repulsive loss %.6g, want its limit %.6g", tc.cost, got, want)
		}
	}
}

// TestRepulsiveCritic: with --critic-loss repulsive the critic of
// sinkhorn-gan and of minibatch-w-gan minimises the repulsive loss, not
// minus the divergence it reports, and the generator still minimises the
// divergence. sinkhorn-gan's repulsive critic is the default on MNIST, on
// 16 features unless the user sets them; the divergence elsewhere, and on
// MNIST on one feature when the user asks for it; minibatch-w-gan's is the
// divergence unless set.
func TestRepulsiveCritic(t *testing.T) {
	toy := Data{Name: "8gaussians", Shape: []int{2}, Output: "linear"}
	mnist := Data{Name: "mnist", Shape: []int{1, 28, 28}, Output: "sigmoid"}
	celeba := Data{Name: "celeba", Shape: []int{3, 64, 64}, Output: "tanh"}
	// minibatch-w-gan's critic is the divergence's unless set; the
	// repulsive one brings 16 features.
	for _, tc := range []struct {
		loss     string
		in       Config
		d        Data
		critic   string
		features int
	}{
		{"sinkhorn-gan", Config{}, toy, criticDivergence, 16},
		{"sinkhorn-gan", Config{}, celeba, criticDivergence, 1},
		{"sinkhorn-gan", Config{}, mnist, criticRepulsive, 16},
		{"sinkhorn-gan", Config{Features: 4}, mnist, criticRepulsive, 4},
		{"sinkhorn-gan", Config{CriticLoss: criticDivergence}, mnist, criticDivergence, 1},
		{"sinkhorn-gan", Config{CriticLoss: criticRepulsive}, celeba, criticRepulsive, 16},
		{"minibatch-w-gan", Config{}, toy, criticDivergence, 16},
		{"minibatch-w-gan", Config{}, mnist, criticDivergence, 1},
		{"minibatch-w-gan", Config{CriticLoss: criticRepulsive}, mnist, criticRepulsive, 16},
		{"minibatch-w-gan", Config{CriticLoss: criticRepulsive, Features: 4}, celeba, criticRepulsive, 4},
	} {
		tc.in.Name = tc.loss
		var tr Training
		c := Defaults(tc.in, &tr, tc.d)
		if c.CriticLoss != tc.critic || c.Features != tc.features {
			t.Errorf("%s on %s, set %q and %d features: critic loss %q on %d features, want %q on %d",
				tc.loss, tc.d.Name, tc.in.CriticLoss, tc.in.Features, c.CriticLoss, c.Features, tc.critic, tc.features)
		}
		// sinkhorn-gan's rate on MNIST follows the critic loss;
		// elsewhere, and for minibatch-w-gan, it is the learned costs'
		// rate whatever the critic.
		rate := map[string]float64{"8gaussians": 1e-3, "celeba": 2e-4, "mnist": 2e-4}[tc.d.Name]
		if tc.loss == "sinkhorn-gan" && tc.d.Name == "mnist" {
			rate = map[string]float64{criticRepulsive: 8e-4, criticDivergence: 4e-4}[tc.critic]
		}
		if tr.LR != rate {
			t.Errorf("%s on %s, critic loss %q: rate %g, want %g", tc.loss, tc.d.Name, c.CriticLoss, tr.LR, rate)
		}
	}
	for _, tc := range []struct{ loss, critic string }{
		{"sinkhorn-gan", criticDivergence}, {"sinkhorn-gan", criticRepulsive},
		{"minibatch-w-gan", criticDivergence}, {"minibatch-w-gan", criticRepulsive},
	} {
		critic := tc.critic
		cfg := Defaults(Config{Name: tc.loss, CriticLoss: critic, CriticReg: guardClip, Features: 2}, &Training{Batch: 6}, toy)
		m := model64Dim(t, cfg, "linear", "tanh", 2)
		obj, err := New(cfg, m, 6)
		if err != nil {
			t.Fatal(err)
		}
		vals := map[string]float64{}
		for _, st := range obj.Steps {
			fillStep(st, 9, false)
			vm := G.NewTapeMachine(st.Graph.G)
			err = vm.RunAll()
			vm.Close()
			if err != nil {
				t.Fatal(err)
			}
			for _, mt := range st.Metrics {
				vals[st.Name+"/"+mt.Name] = mt.Node.Value().Data().(float64)
			}
		}
		loss, div := vals["critic/loss"], vals["critic/div"]
		minusDiv := math.Abs(loss+div) < 1e-12*math.Max(1, math.Abs(div))
		if minusDiv != (critic == criticDivergence) {
			t.Errorf("%s, critic loss %q: critic/loss %v, critic/div %v", tc.loss, critic, loss, div)
		}
		if g := vals["generator/loss"]; !(g > 0) {
			t.Errorf("%s, critic loss %q: generator loss %v, want the (positive) divergence", tc.loss, critic, g)
		}
	}
}

// TestMinibatchWSelfTerms: minibatch-w-gan's repulsive critic loss
// with one pair of whole halves is ½W(y₁, y₂) − ½W(x₁, x₂) (y generated,
// x data), the exact OT costs of the halves computed here by ot.EMD2 (an odd batch's last row
// left out, with a zero gradient); with minibatches smaller than the
// halves it draws other pairs and stays finite. Its debiased loss is the
// plain one less ½W of each batch's halves.
func TestMinibatchWSelfTerms(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 2))
	const d = 3
	points := func(n int) []float64 {
		p := make([]float64, n*d)
		for i := range p {
			p[i] = rng.NormFloat64()
		}
		return p
	}
	x, y := points(9), points(8) // generated, data
	w := func(p []float64, h int, power float64) float64 {
		c, err := ot.Cost(mat.NewDense(h, d, p[:h*d]), mat.NewDense(h, d, p[h*d:2*h*d]), power)
		if err != nil {
			t.Fatal(err)
		}
		u := make([]float64, h)
		for i := range u {
			u[i] = 1 / float64(h)
		}
		v, err := ot.EMD2(u, u, c)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	seed := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{0.3, 0.7}))
	for _, power := range []float64{1, 2} {
		f := &repulsiveMinibatchW{selfTerms{opts: ot.MinibatchOptions{M: 64, K: 1, P: power, Grad: true}, seed: seed}}
		gx, gy := make([]float64, 9*d), make([]float64, 8*d)
		got, err := f.eval(x, y, 9, 8, d, gx, gy)
		if err != nil {
			t.Fatal(err)
		}
		want := w(x, 4, power)/2 - w(y, 4, power)/2
		if math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("p = %g: repulsive loss %.15g, want ½W between the generated halves − ½W between the data's = %.15g", power, got, want)
		}
		for _, g := range gx[8*d:] {
			if g != 0 {
				t.Fatalf("p = %g: the odd last row has gradient %v", power, gx[8*d:])
			}
		}
		f.opts.M, f.opts.K = 2, 3
		a, err := f.eval(x, y, 9, 8, d, gx, gy)
		if err != nil || math.IsNaN(a) || math.IsInf(a, 0) || a == got {
			t.Errorf("p = %g, pairs of 2: %v, %v (whole halves %v)", power, a, err, got)
		}
	}
	f := &repulsiveMinibatchW{selfTerms{opts: ot.MinibatchOptions{M: 2, K: 1, P: 2, Grad: true}, seed: seed}}
	if _, err := f.eval(x[:d], y, 1, 8, d, make([]float64, d), make([]float64, 8*d)); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("a batch of one: %v", err)
	}

	// The debiased loss with one pair of whole batches (m = 8) and whole
	// halves: W(x, y) − ½W(x₁, x₂) − ½W(y₁, y₂), and its gradient that of
	// the plain loss less the self terms'.
	x8 := x[:8*d]
	for _, power := range []float64{1, 2} {
		c, err := ot.Cost(mat.NewDense(8, d, x8), mat.NewDense(8, d, y), power)
		if err != nil {
			t.Fatal(err)
		}
		u := make([]float64, 8)
		for i := range u {
			u[i] = 1.0 / 8
		}
		cross, err := ot.EMD2(u, u, c)
		if err != nil {
			t.Fatal(err)
		}
		opts := ot.MinibatchOptions{M: 8, K: 1, P: power, Grad: true}
		gx, gy := make([]float64, 8*d), make([]float64, 8*d)
		got, err := debiasedMinibatchW{&minibatchW{opts: opts, seed: seed}}.eval(x8, y, 8, 8, d, gx, gy)
		if err != nil {
			t.Fatal(err)
		}
		want := cross - w(x8, 4, power)/2 - w(y, 4, power)/2
		if math.Abs(got-want) > 1e-12*math.Abs(cross) {
			t.Errorf("p = %g: debiased loss %.15g, want W(x, y) − ½W(x₁, x₂) − ½W(y₁, y₂) = %.15g", power, got, want)
		}
		px, py := make([]float64, 8*d), make([]float64, 8*d)
		if _, err := (&minibatchW{opts: opts, seed: seed}).eval(x8, y, 8, 8, d, px, py); err != nil {
			t.Fatal(err)
		}
		sx, sy := make([]float64, 8*d), make([]float64, 8*d)
		if _, err := (&repulsiveMinibatchW{selfTerms{opts: opts, seed: seed}}).eval(x8, y, 8, 8, d, sx, sy); err != nil {
			t.Fatal(err)
		}
		// The repulsive loss's gradients are +½∇h̃(x₁, x₂) and −½∇h̃(y₁, y₂).
		for i := range gx {
			if math.Abs(gx[i]-(px[i]-sx[i])) > 1e-12 || math.Abs(gy[i]-(py[i]+sy[i])) > 1e-12 {
				t.Fatalf("p = %g: debiased gradient (%v, %v) at %d, want (%v, %v)", power, gx[i], gy[i], i, px[i]-sx[i], py[i]+sy[i])
			}
		}
	}
}
