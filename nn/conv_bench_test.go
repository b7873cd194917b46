package nn

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// dcganCritic is the MNIST critic of ../shared/peers/torch_dcgan_mnist.py:
// conv 64 k4 s2 p1 → LeakyReLU → conv 128 k4 s2 p1 → LeakyReLU → flatten →
// linear 1.
func dcganCritic(b testing.TB, s *Store, rng *rand.Rand) Sequential {
	return dcganCriticAct(b, s, rng, LeakyReLU{Alpha: 0.2})
}

func dcganCriticAct(b testing.TB, s *Store, rng *rand.Rand, act Layer) Sequential {
	c1, err := NewConv2d(s, "d.c1", 1, 64, 4, 2, 1, HeNormal, rng)
	if err != nil {
		b.Fatal(err)
	}
	c2, err := NewConv2d(s, "d.c2", 64, 128, 4, 2, 1, HeNormal, rng)
	if err != nil {
		b.Fatal(err)
	}
	fc, err := NewLinear(s, "d.fc", 128*7*7, 1, GlorotUniform, rng)
	if err != nil {
		b.Fatal(err)
	}
	return Sequential{c1, act, c2, act, Flatten{}, fc}
}

// dcganGenerator is the MNIST generator of the same script: linear z→128·7·7
// → ReLU → reshape → convT 64 k4 s2 p1 → ReLU → convT 1 k4 s2 p1 → sigmoid.
func dcganGenerator(b testing.TB, s *Store, rng *rand.Rand, zdim int) Sequential {
	fc, err := NewLinear(s, "g.fc", zdim, 128*7*7, HeNormal, rng)
	if err != nil {
		b.Fatal(err)
	}
	u1, err := NewConvTranspose2d(s, "g.u1", 128, 64, 4, 2, 1, HeNormal, rng)
	if err != nil {
		b.Fatal(err)
	}
	u2, err := NewConvTranspose2d(s, "g.u2", 64, 1, 4, 2, 1, HeNormal, rng)
	if err != nil {
		b.Fatal(err)
	}
	return Sequential{fc, ReLU{}, Reshape{Shape: []int{128, 7, 7}}, u1, ReLU{}, u2, Sigmoid{}}
}

func benchRun(b *testing.B, g *Graph, loss *G.Node, wrt G.Nodes) {
	if _, err := G.Grad(loss, wrt...); err != nil {
		b.Fatal(err)
	}
	m := G.NewTapeMachine(g.G, G.BindDualValues(wrt...))
	defer m.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDCGANCriticFwdBwd is forward + backward of sum(critic(x)) at
// batch 64, float32.
func BenchmarkDCGANCriticFwdBwd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := NewStore(tensor.Float32)
	d := dcganCritic(b, s, rng)
	g := NewGraph(s)
	x, xt := g.Input("x", 64, 1, 28, 28)
	fill(xt, rng, 1)
	y, err := d.Forward(g, x)
	if err != nil {
		b.Fatal(err)
	}
	benchRun(b, g, G.Must(G.Sum(y)), g.Params())
}

// BenchmarkDCGANCriticGPStep is the graph part of a WGAN-GP critic step at
// batch 64, float32: critic(real), critic(fake) and the penalty
// 10·mean((|∂critic(x̂)/∂x̂| − 1)²) on interpolates, one backward pass to
// the critic's parameters (the generator's forward pass and Adam excluded).
func BenchmarkDCGANCriticGPStep(b *testing.B) {
	benchGP(b, LeakyReLU{Alpha: 0.2})
}

func benchGP(b *testing.B, act Layer) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := NewStore(tensor.Float32)
	d := dcganCriticAct(b, s, rng, act)
	g := NewGraph(s)
	const n = 64
	real, rt := g.Input("real", n, 1, 28, 28)
	fake, ft := g.Input("fake", n, 1, 28, 28)
	interp, it := g.Input("interp", n, 1, 28, 28)
	for _, t := range []*tensor.Dense{rt, ft, it} {
		fill(t, rng, 1)
	}
	dr, err := d.Forward(g, real)
	if err != nil {
		b.Fatal(err)
	}
	df, err := d.Forward(g, fake)
	if err != nil {
		b.Fatal(err)
	}
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	_, gx, err := d.ForwardWithInputGrad(g, interp, func(*G.Node) (*G.Node, error) {
		return g.Constant("ones", ones, n, 1), nil
	})
	if err != nil {
		b.Fatal(err)
	}
	gflat := G.Must(G.Reshape(gx, tensor.Shape{n, 28 * 28}))
	norm := G.Must(G.Sqrt(G.Must(G.Sum(G.Must(G.Square(gflat)), 1))))
	gp := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(norm, g.Scalar(1)))))))
	loss := G.Must(G.Add(G.Must(G.Sub(G.Must(G.Mean(df)), G.Must(G.Mean(dr)))), G.Must(G.Mul(gp, g.Scalar(10)))))
	benchRun(b, g, loss, g.Params())
}

// BenchmarkDCGANGeneratorStep is the graph part of a generator step at batch
// 64, float32: −mean(critic(G(z))) differentiated w.r.t. the generator.
func BenchmarkDCGANGeneratorStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := NewStore(tensor.Float32)
	d := dcganCritic(b, s, rng)
	gen := dcganGenerator(b, s, rng, 64)
	g := NewGraph(s)
	z, zt := g.Input("z", 64, 64)
	fill(zt, rng, 1)
	x, err := gen.Forward(g, z)
	if err != nil {
		b.Fatal(err)
	}
	var wrt G.Nodes
	for i, name := range g.ParamNames() {
		if name[0] == 'g' {
			wrt = append(wrt, g.Params()[i])
		}
	}
	y, err := d.Forward(g, x)
	if err != nil {
		b.Fatal(err)
	}
	benchRun(b, g, G.Must(G.Neg(G.Must(G.Mean(y)))), wrt)
}
