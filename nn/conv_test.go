package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/gradcheck"
)

func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// naiveConv is a direct convolution with PyTorch's weight layout
// w[o, c, ky, kx].
func naiveConv(x []float64, n, c, h, wd int, w []float64, out, k int, b []float64, s, p int) ([]float64, int, int) {
	oh, ow := (h+2*p-k)/s+1, (wd+2*p-k)/s+1
	y := make([]float64, n*out*oh*ow)
	for bi := 0; bi < n; bi++ {
		for o := 0; o < out; o++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					v := b[o]
					for ci := 0; ci < c; ci++ {
						for ky := 0; ky < k; ky++ {
							for kx := 0; kx < k; kx++ {
								iy, ix := oy*s-p+ky, ox*s-p+kx
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								v += x[((bi*c+ci)*h+iy)*wd+ix] * w[((o*c+ci)*k+ky)*k+kx]
							}
						}
					}
					y[((bi*out+o)*oh+oy)*ow+ox] = v
				}
			}
		}
	}
	return y, oh, ow
}

// naiveConvT is a direct transposed convolution with PyTorch's weight
// layout w[c, o, ky, kx].
func naiveConvT(x []float64, n, c, h, wd int, w []float64, out, k int, b []float64, s, p int) ([]float64, int, int) {
	oh, ow := (h-1)*s-2*p+k, (wd-1)*s-2*p+k
	y := make([]float64, n*out*oh*ow)
	for bi := 0; bi < n; bi++ {
		for o := 0; o < out; o++ {
			for i := 0; i < oh*ow; i++ {
				y[(bi*out+o)*oh*ow+i] = b[o]
			}
		}
		for ci := 0; ci < c; ci++ {
			for iy := 0; iy < h; iy++ {
				for ix := 0; ix < wd; ix++ {
					v := x[((bi*c+ci)*h+iy)*wd+ix]
					for o := 0; o < out; o++ {
						for ky := 0; ky < k; ky++ {
							for kx := 0; kx < k; kx++ {
								oy, ox := iy*s-p+ky, ix*s-p+kx
								if oy < 0 || oy >= oh || ox < 0 || ox >= ow {
									continue
								}
								y[((bi*out+o)*oh+oy)*ow+ox] += v * w[((ci*out+o)*k+ky)*k+kx]
							}
						}
					}
				}
			}
		}
	}
	return y, oh, ow
}

func asF64(v G.Value) []float64 {
	switch d := v.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	}
	return nil
}

func runGraph(t *testing.T, g *Graph) {
	t.Helper()
	m := G.NewTapeMachine(g.G)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
}

type convCase struct{ n, in, out, h, w, k, s, p int }

// TestConv2dMatchesNaive compares Conv2d with a direct convolution, in
// float64 and float32.
func TestConv2dMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	cases := []convCase{{2, 3, 4, 6, 5, 3, 1, 1}, {2, 2, 3, 8, 8, 4, 2, 1}, {1, 1, 2, 5, 5, 5, 1, 0}, {3, 2, 2, 7, 7, 3, 2, 0}}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, c := range cases {
			s := NewStore(dt)
			conv, err := NewConv2d(s, "c", c.in, c.out, c.k, c.s, c.p, HeNormal, rng)
			if err != nil {
				t.Fatal(err)
			}
			wv, _ := s.Value("c.w")
			bv, _ := s.Value("c.b")
			fill(bv, rng, 1)
			// Our weight is (in·k·k)×out; PyTorch's is out×in×k×k.
			ours := asF64(wv)
			torch := make([]float64, len(ours))
			for o := 0; o < c.out; o++ {
				for r := 0; r < c.in*c.k*c.k; r++ {
					torch[o*c.in*c.k*c.k+r] = ours[r*c.out+o]
				}
			}
			g := NewGraph(s)
			x, xt := g.Input("x", c.n, c.in, c.h, c.w)
			fill(xt, rng, 1)
			y, err := conv.Forward(g, x)
			if err != nil {
				t.Fatal(err)
			}
			runGraph(t, g)
			want, oh, ow := naiveConv(asF64(xt), c.n, c.in, c.h, c.w, torch, c.out, c.k, asF64(bv), c.s, c.p)
			if gh, gw := conv.OutSize(c.h, c.w); !y.Shape().Eq(tensor.Shape{c.n, c.out, oh, ow}) || gh != oh || gw != ow {
				t.Fatalf("%+v: shape %v, OutSize %d×%d, want %d×%d", c, y.Shape(), gh, gw, oh, ow)
			}
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 1e-5
			}
			for i, v := range asF64(y.Value()) {
				if math.Abs(v-want[i]) > tol*(1+math.Abs(want[i])) {
					t.Fatalf("%v %+v: y[%d] = %g, want %g", dt, c, i, v, want[i])
				}
			}
		}
	}
}

// TestConvTranspose2dMatchesNaive checks the DCGAN output shapes and the
// values against a direct transposed convolution.
func TestConvTranspose2dMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	cases := []struct {
		convCase
		oh, ow int
	}{
		{convCase{2, 3, 2, 4, 4, 4, 2, 1}, 8, 8}, // DCGAN upsampling
		{convCase{2, 5, 3, 1, 1, 4, 1, 0}, 4, 4}, // DCGAN projection of z
		{convCase{1, 2, 2, 3, 5, 3, 2, 0}, 7, 11},
		{convCase{2, 2, 3, 3, 3, 3, 1, 1}, 3, 3},
	}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, c := range cases {
			s := NewStore(dt)
			ct, err := NewConvTranspose2d(s, "t", c.in, c.out, c.k, c.s, c.p, HeNormal, rng)
			if err != nil {
				t.Fatal(err)
			}
			wv, _ := s.Value("t.w")
			bv, _ := s.Value("t.b")
			fill(bv, rng, 1)
			g := NewGraph(s)
			x, xt := g.Input("x", c.n, c.in, c.h, c.w)
			fill(xt, rng, 1)
			y, err := ct.Forward(g, x)
			if err != nil {
				t.Fatal(err)
			}
			if !y.Shape().Eq(tensor.Shape{c.n, c.out, c.oh, c.ow}) {
				t.Fatalf("%+v: output shape %v, want %d×%d", c, y.Shape(), c.oh, c.ow)
			}
			runGraph(t, g)
			// Our weight in×(out·k·k) is PyTorch's in×out×k×k flattened.
			want, _, _ := naiveConvT(asF64(xt), c.n, c.in, c.h, c.w, asF64(wv), c.out, c.k, asF64(bv), c.s, c.p)
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 1e-5
			}
			for i, v := range asF64(y.Value()) {
				if math.Abs(v-want[i]) > tol*(1+math.Abs(want[i])) {
					t.Fatalf("%v %+v: y[%d] = %g, want %g", dt, c, i, v, want[i])
				}
			}
		}
	}
}

// layerCase builds one layer over a float64 store.
type layerCase struct {
	name  string
	shape []int
	make  func(s *Store, rng *rand.Rand) (InputGrader, error)
}

var layerCases = []layerCase{
	{"conv", []int{2, 2, 5, 5}, func(s *Store, rng *rand.Rand) (InputGrader, error) {
		return NewConv2d(s, "c", 2, 3, 3, 2, 1, HeNormal, rng)
	}},
	{"conv_s1p0", []int{2, 3, 4, 4}, func(s *Store, rng *rand.Rand) (InputGrader, error) {
		return NewConv2d(s, "c", 3, 2, 2, 1, 0, HeNormal, rng)
	}},
	{"convT_s2p1", []int{2, 3, 3, 3}, func(s *Store, rng *rand.Rand) (InputGrader, error) {
		return NewConvTranspose2d(s, "t", 3, 2, 4, 2, 1, HeNormal, rng)
	}},
	{"convT_1x1", []int{2, 4, 1, 1}, func(s *Store, rng *rand.Rand) (InputGrader, error) {
		return NewConvTranspose2d(s, "t", 4, 2, 3, 1, 0, HeNormal, rng)
	}},
	{"layernorm_nchw", []int{3, 2, 3, 2}, func(s *Store, rng *rand.Rand) (InputGrader, error) {
		return NewLayerNorm(s, "ln", 2, 0)
	}},
	{"layernorm_nf", []int{3, 5}, func(s *Store, rng *rand.Rand) (InputGrader, error) {
		return NewLayerNorm(s, "ln", 5, 0)
	}},
	{"leaky_fused", []int{2, 3, 2, 2}, func(*Store, *rand.Rand) (InputGrader, error) { return LeakyReLU{Alpha: 0.2}, nil }},
	{"flatten", []int{2, 2, 3, 2}, func(*Store, *rand.Rand) (InputGrader, error) { return Flatten{}, nil }},
	{"reshape", []int{2, 12}, func(*Store, *rand.Rand) (InputGrader, error) { return Reshape{Shape: []int{3, 2, 2}}, nil }},
}

// randomizeParams sets every parameter to random values (biases and gains
// start at constants, which would hide errors).
func randomizeParams(s *Store, rng *rand.Rand) {
	for _, n := range s.Names() {
		v, _ := s.Value(n)
		if strings.HasSuffix(n, ".g") {
			d := v.Data().([]float64)
			for i := range d {
				d[i] = 1 + 0.5*rng.NormFloat64()
			}
			continue
		}
		fill(v, rng, 0.5)
	}
}

// TestConvLayerGradients checks the gradient of a weighted sum of every new
// layer's output w.r.t. its parameters and input.
func TestConvLayerGradients(t *testing.T) {
	for _, c := range layerCases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(19, 20))
			s := NewStore(tensor.Float64)
			l, err := c.make(s, rng)
			if err != nil {
				t.Fatal(err)
			}
			randomizeParams(s, rng)
			g := NewGraph(s)
			x, xt := g.Input("x", c.shape...)
			g.RequireGrad(x)
			fill(xt, rng, 1)
			y, err := l.Forward(g, x)
			if err != nil {
				t.Fatal(err)
			}
			ys := y.Shape()
			loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, g.Constant("r", randVec(rng, ys.TotalSize()), ys...)))))
			res, err := gradcheck.Check(g.G, loss, append(g.Params(), x), gradcheck.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.MaxErr > 1 {
				t.Fatalf("gradient mismatch %.3g at %s", res.MaxErr, res.Where)
			}
			t.Logf("checked %d, max err %.3g", res.Checked, res.MaxErr)
		})
	}
}

// TestConvInputGrad compares every layer's InputGrad with central
// differences of sum(Forward(x) ⊙ gy) w.r.t. x, and then differentiates a
// penalty on it w.r.t. the parameters (second order).
func TestConvInputGrad(t *testing.T) {
	for _, c := range layerCases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(21, 22))
			s := NewStore(tensor.Float64)
			l, err := c.make(s, rng)
			if err != nil {
				t.Fatal(err)
			}
			randomizeParams(s, rng)
			xData := randVec(rng, tensor.Shape(c.shape).TotalSize())
			var gyData []float64
			build := func() (*Graph, *G.Node, *G.Node, *G.Node, *G.Node) {
				g := NewGraph(s)
				x, xt := g.Input("x", c.shape...)
				g.RequireGrad(x)
				copy(xt.Data().([]float64), xData)
				y, err := l.Forward(g, x)
				if err != nil {
					t.Fatal(err)
				}
				if gyData == nil {
					gyData = randVec(rng, y.Shape().TotalSize())
				}
				gy := g.Constant("gy", gyData, y.Shape()...)
				gx, err := l.InputGrad(g, x, y, gy)
				if err != nil {
					t.Fatal(err)
				}
				if !gx.Shape().Eq(x.Shape()) {
					t.Fatalf("input grad shape %v for input %v", gx.Shape(), x.Shape())
				}
				f := G.Must(G.Sum(G.Must(G.HadamardProd(y, gy))))
				return g, x, y, gx, f
			}
			g, x, _, gx, f := build()
			m := G.NewTapeMachine(g.G)
			defer m.Close()
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			got := asF64(gx.Value())
			xv := x.Value().Data().([]float64)
			const h = 1e-6
			worst := 0.0
			for i := range xv {
				o := xv[i]
				var lv [2]float64
				for j, d := range []float64{h, -h} {
					xv[i] = o + d
					m.Reset()
					if err := m.RunAll(); err != nil {
						t.Fatal(err)
					}
					lv[j] = f.Value().Data().(float64)
				}
				xv[i] = o
				num := (lv[0] - lv[1]) / (2 * h)
				e := math.Abs(num-got[i]) / (1e-7 + 1e-5*math.Max(math.Abs(num), math.Abs(got[i])))
				worst = math.Max(worst, e)
				if e > 1 {
					t.Fatalf("input grad [%d]: graph %.9g, numeric %.9g", i, got[i], num)
				}
			}
			t.Logf("input grad: max err %.3g", worst)
			if len(s.Names()) == 0 {
				return
			}
			g3, x3, y3, gx3, _ := build()
			pen := G.Must(G.Add(G.Must(G.Sum(G.Must(G.Square(gx3)))), G.Must(G.Sum(G.Must(G.Square(y3))))))
			res, err := gradcheck.Check(g3.G, pen, append(g3.Params(), x3), gradcheck.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.MaxErr > 1 {
				t.Fatalf("second-order gradient mismatch %.3g at %s", res.MaxErr, res.Where)
			}
			t.Logf("second order: checked %d, max err %.3g", res.Checked, res.MaxErr)
		})
	}
}

// TestConvCriticSecondOrder is the WGAN-GP case: loss = sum(critic(x)) +
// ||∂ sum(critic)/∂x||² for Conv2d → LeakyReLU → Conv2d → LayerNorm →
// Flatten → Linear, differentiated w.r.t. every parameter.
func TestConvCriticSecondOrder(t *testing.T) {
	for name, act := range map[string]Layer{"leaky_relu": LeakyReLU{Alpha: 0.2}, "relu": ReLU{}} {
		t.Run(name, func(t *testing.T) { testConvCriticSecondOrder(t, act) })
	}
}

func testConvCriticSecondOrder(t *testing.T, act Layer) {
	rng := rand.New(rand.NewPCG(23, 24))
	s := NewStore(tensor.Float64)
	c1, err := NewConv2d(s, "c1", 1, 3, 4, 2, 1, HeNormal, rng)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := NewConv2d(s, "c2", 3, 4, 3, 1, 1, HeNormal, rng)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := NewLayerNorm(s, "ln", 4, 0)
	if err != nil {
		t.Fatal(err)
	}
	lin, err := NewLinear(s, "out", 4*3*3, 1, GlorotUniform, rng)
	if err != nil {
		t.Fatal(err)
	}
	randomizeParams(s, rng)
	critic := Sequential{c1, act, c2, ln, Flatten{}, lin}
	g := NewGraph(s)
	x, xt := g.Input("x", 2, 1, 6, 6)
	fill(xt, rng, 1)
	y, gx, err := critic.ForwardWithInputGrad(g, x, func(y *G.Node) (*G.Node, error) {
		return g.Constant("ones", []float64{1, 1}, 2, 1), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	loss := G.Must(G.Add(G.Must(G.Sum(y)), G.Must(G.Sum(G.Must(G.Square(gx))))))
	res, err := gradcheck.Check(g.G, loss, g.Params(), gradcheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxErr > 1 {
		t.Fatalf("second-order gradient mismatch %.3g at %s", res.MaxErr, res.Where)
	}
	t.Logf("checked %d parameters, max err %.3g (%s)", res.Checked, res.MaxErr, res.Where)
}

func TestConvShapeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	s := NewStore(tensor.Float32)
	c, err := NewConv2d(s, "c", 3, 4, 5, 1, 0, HeNormal, rng)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := NewConvTranspose2d(s, "t", 3, 4, 4, 2, 1, HeNormal, rng)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := NewLayerNorm(s, "ln", 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	g := NewGraph(s)
	wrongC, _ := g.Input("a", 2, 2, 8, 8)
	tiny, _ := g.Input("b", 2, 3, 3, 3)
	flat, _ := g.Input("c", 2, 7)
	for name, f := range map[string]func() error{
		"conv channels":   func() error { _, err := c.Forward(g, wrongC); return err },
		"conv too small":  func() error { _, err := c.Forward(g, tiny); return err },
		"conv 2-D":        func() error { _, err := c.Forward(g, flat); return err },
		"convT channels":  func() error { _, err := ct.Forward(g, wrongC); return err },
		"layernorm":       func() error { _, err := ln.Forward(g, wrongC); return err },
		"reshape":         func() error { _, err := Reshape{Shape: []int{2, 2}}.Forward(g, flat); return err },
		"conv bad kernel": func() error { _, err := NewConv2d(s, "z", 1, 1, 0, 1, 0, HeNormal, rng); return err },
	} {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestRowBcastAdjoint: <rowBcast(v), m> = <v, rowSum(m)> and rowBcast
// repeats v[i] along row i.
func TestRowBcastAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const n, d = 5, 7
	v, m := randVec(rng, n), randVec(rng, n*d)
	bv, sm := make([]float64, n*d), make([]float64, n)
	runLin(&linOp{kind: kRowBcast}, bv, v)
	runLin(&linOp{kind: kRowSum}, sm, m)
	if a, b := dot(bv, m), dot(v, sm); math.Abs(a-b) > 1e-10*(1+math.Abs(a)) {
		t.Fatalf("<rowBcast v, m> = %.12g, <v, rowSum m> = %.12g", a, b)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			if bv[i*d+j] != v[i] {
				t.Fatalf("rowBcast[%d,%d] = %v, want %v", i, j, bv[i*d+j], v[i])
			}
		}
	}
}
