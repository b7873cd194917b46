package train

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/nn"
	"otgen/optim"
)

// BenchmarkMLPStep times one training step (forward, backward, Adam) of a
// 2→512→512→512→2 ReLU MLP at batch 256 in float32 — the size of the
// WGAN-GP toy networks. Run with -tags openblas to use OpenBLAS.
func BenchmarkMLPStep(b *testing.B) {
	b.Logf("BLAS: %s", nn.BLAS)
	rng := rand.New(rand.NewPCG(1, 2))
	s := nn.NewStore(tensor.Float32)
	var net nn.Sequential
	widths := []int{2, 512, 512, 512, 2}
	for i := 0; i+1 < len(widths); i++ {
		l, err := nn.NewLinear(s, "l"+string(rune('0'+i)), widths[i], widths[i+1], nn.HeNormal, rng)
		if err != nil {
			b.Fatal(err)
		}
		net = append(net, l)
		if i+2 < len(widths) {
			net = append(net, nn.ReLU{})
		}
	}
	g := nn.NewGraph(s)
	x, xt := g.Input("x", 256, 2)
	for i, d := 0, xt.Data().([]float32); i < len(d); i++ {
		d[i] = float32(rng.NormFloat64())
	}
	y, err := net.Forward(g, x)
	if err != nil {
		b.Fatal(err)
	}
	loss := G.Must(G.Mean(G.Must(G.Square(y))))
	if _, err := G.Grad(loss, g.Params()...); err != nil {
		b.Fatal(err)
	}
	vm := G.NewTapeMachine(g.G, G.BindDualValues(g.Params()...))
	defer vm.Close()
	opt, err := optim.New("adam", 1e-4, 0.9, 0.999, g.Params(), g.ParamNames())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		if err := opt.Step(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDefaultToyIteration times one iteration of the default run of
// cmd/train (8-Gaussians, default loss and model, batch 256).
func BenchmarkDefaultToyIteration(b *testing.B) {
	cfg, err := DefaultConfig("8gaussians", "wae-mmd")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Out = b.TempDir()
	r, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := r.iterate(); err != nil {
			b.Fatal(err)
		}
	}
}

// benchIteration times one training iteration of loss on 8-Gaussians with
// the networks of gan_toy.py and torch_toy.py (MLP 512×3, batch 256).
func benchIteration(b *testing.B, loss string, edit func(*Config)) {
	cfg, err := DefaultConfig("8gaussians", loss)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Out = b.TempDir()
	cfg.Model.Hidden = []int{512, 512, 512}
	if cfg.Model.Critic != nil {
		cfg.Model.Critic = []int{512, 512, 512}
	}
	cfg.Batch = 256
	if edit != nil {
		edit(&cfg)
	}
	r, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.Logf("BLAS: %s", nn.BLAS)
	if err := r.iterate(); err != nil { // warm-up
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := r.iterate(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWGANGPIteration: 5 critic steps with the gradient penalty and one
// generator step (torch_toy.py --modes wgan-gp).
func BenchmarkWGANGPIteration(b *testing.B) {
	benchIteration(b, "wgan-gp", func(c *Config) { c.Loss.Lambda = 0.1 })
}

// BenchmarkSinkhornStep: one generator step with the debiased Sinkhorn
// divergence, eps 0.1, 100 iterations, envelope gradient
// (torch_toy.py --modes sinkhorn-envelope).
func BenchmarkSinkhornStep(b *testing.B) {
	benchIteration(b, "sinkhorn", func(c *Config) { c.Loss.Eps, c.Loss.Iters = 0.1, 100 })
}

// BenchmarkMinibatchWStep: one generator step of the minibatch Wasserstein
// loss with the default k and m.
func BenchmarkMinibatchWStep(b *testing.B) { benchIteration(b, "minibatch-w", nil) }
