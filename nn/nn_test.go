package nn

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/gradcheck"
)

func fill(t *tensor.Dense, rng *rand.Rand, scale float64) {
	switch d := t.Data().(type) {
	case []float64:
		for i := range d {
			d[i] = scale * rng.NormFloat64()
		}
	case []float32:
		for i := range d {
			d[i] = float32(scale * rng.NormFloat64())
		}
	}
}

// mlp builds In→5→3 with the given activation between and after the layers.
func mlp(t *testing.T, s *Store, act Layer, rng *rand.Rand) Sequential {
	t.Helper()
	l1, err := NewLinear(s, "l1", 4, 5, GlorotUniform, rng)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := NewLinear(s, "l2", 5, 3, HeNormal, rng)
	if err != nil {
		t.Fatal(err)
	}
	// Biases start at zero; make them non-zero so their gradients are tested.
	for _, n := range []string{"l1.b", "l2.b"} {
		v, _ := s.Value(n)
		fill(v, rng, 0.5)
	}
	return Sequential{l1, act, l2, act}
}

var activations = map[string]Layer{
	"relu":       ReLU{},
	"leaky_relu": LeakyReLU{Alpha: 0.2},
	"tanh":       Tanh{},
	"sigmoid":    Sigmoid{},
}

// TestLayerGradients checks the gradient of a weighted sum of every layer's
// output w.r.t. parameters and input against central differences.
func TestLayerGradients(t *testing.T) {
	for name, act := range activations {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			s := NewStore(tensor.Float64)
			net := mlp(t, s, act, rng)
			g := NewGraph(s)
			x, xt := g.Input("x", 6, 4)
			fill(xt, rng, 1)
			y, err := net.Forward(g, x)
			if err != nil {
				t.Fatal(err)
			}
			wts := make([]float64, 18)
			for i := range wts {
				wts[i] = rng.NormFloat64()
			}
			loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, g.Constant("w", wts, 6, 3)))))
			wrt := append(g.Params(), x)
			res, err := gradcheck.Check(g.G, loss, wrt, gradcheck.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.MaxErr > 1 {
				t.Fatalf("gradient mismatch %.3g at %s", res.MaxErr, res.Where)
			}
			if res.Checked != 4*5+5+5*3+3+24 {
				t.Fatalf("checked %d elements", res.Checked)
			}
		})
	}
}

// TestInputGradAndSecondOrder checks that ForwardWithInputGrad builds the
// input gradient of sum(y ⊙ gy) as graph nodes and that a penalty on it,
// ||∂y/∂x||², differentiates correctly w.r.t. the parameters (second order,
// the gradient penalty of WGAN-GP).
func TestInputGradAndSecondOrder(t *testing.T) {
	for name, act := range activations {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			s := NewStore(tensor.Float64)
			net := mlp(t, s, act, rng)
			gyData := make([]float64, 18)
			for i := range gyData {
				gyData[i] = rng.NormFloat64()
			}
			xData := make([]float64, 24)
			for i := range xData {
				xData[i] = rng.NormFloat64()
			}
			build := func() (*Graph, *G.Node, *G.Node, *G.Node) {
				g := NewGraph(s)
				x, xt := g.Input("x", 6, 4)
				copy(xt.Data().([]float64), xData)
				y, gx, err := net.ForwardWithInputGrad(g, x, func(y *G.Node) (*G.Node, error) {
					return g.Constant("gy", gyData, 6, 3), nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return g, x, y, gx
			}
			// First order: gx equals the finite-difference gradient of
			// sum(y ⊙ gy) w.r.t. x.
			g, x, y, gx := build()
			m := G.NewTapeMachine(g.G)
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			got := append([]float64(nil), gx.Value().Data().([]float64)...)
			m.Close()
			_ = y
			g2, x2, y2, _ := build()
			f := G.Must(G.Sum(G.Must(G.HadamardProd(y2, g2.Constant("gy2", gyData, 6, 3)))))
			m2 := G.NewTapeMachine(g2.G)
			defer m2.Close()
			xv := x2.Value().Data().([]float64)
			eval := func() float64 {
				m2.Reset()
				if err := m2.RunAll(); err != nil {
					t.Fatal(err)
				}
				return f.Value().Data().(float64)
			}
			const h = 1e-6
			for i := range xv {
				o := xv[i]
				xv[i] = o + h
				lp := eval()
				xv[i] = o - h
				lm := eval()
				xv[i] = o
				num := (lp - lm) / (2 * h)
				if d := num - got[i]; d > 1e-6 || d < -1e-6 {
					t.Fatalf("input grad [%d]: graph %.9g, numeric %.9g", i, got[i], num)
				}
			}
			_ = x
			// Second order: the penalty ||gx||² w.r.t. the parameters.
			// As in WGAN-GP the critic output is part of the loss: for ReLU
			// critics the penalty alone does not depend on the biases.
			g3, _, y3, gx3 := build()
			pen := G.Must(G.Add(G.Must(G.Sum(G.Must(G.Square(gx3)))), G.Must(G.Sum(y3))))
			res, err := gradcheck.Check(g3.G, pen, g3.Params(), gradcheck.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.MaxErr > 1 {
				t.Fatalf("second-order gradient mismatch %.3g at %s", res.MaxErr, res.Where)
			}
		})
	}
}

func TestStoreSaveLoad(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	s := NewStore(tensor.Float32)
	if _, err := NewLinear(s, "enc.0", 3, 2, HeUniform, rng); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Names(), ","); got != "enc.0.w,enc.0.b" {
		t.Fatalf("names %q", got)
	}
	if s.Size() != 8 {
		t.Fatalf("size %d", s.Size())
	}
	saved := s.Tensors()
	copies := make([]Tensor, len(saved))
	for i, ts := range saved {
		copies[i] = Tensor{Name: ts.Name, Shape: append([]int(nil), ts.Shape...), Data: append([]float32(nil), ts.Data...)}
		for j := range copies[i].Data {
			copies[i].Data[j] += 1
		}
	}
	if err := s.Load(copies); err != nil {
		t.Fatal(err)
	}
	for i, ts := range s.Tensors() {
		for j := range ts.Data {
			if ts.Data[j] != copies[i].Data[j] {
				t.Fatalf("%s[%d] = %v after load, want %v", ts.Name, j, ts.Data[j], copies[i].Data[j])
			}
		}
	}
	// Faults: shape mismatch, unknown tensor, missing tensor, duplicate.
	bad := []struct {
		name string
		ts   []Tensor
		want string
	}{
		{"shape", []Tensor{{Name: "enc.0.w", Shape: []int{2, 3}, Data: make([]float32, 6)}, copies[1]}, "shape"},
		{"unknown", append(append([]Tensor(nil), copies...), Tensor{Name: "dec.w", Shape: []int{1}, Data: []float32{0}}), "dec.w"},
		{"missing", copies[:1], "enc.0.b"},
		{"length", []Tensor{{Name: "enc.0.w", Shape: []int{3, 2}, Data: make([]float32, 5)}, copies[1]}, "enc.0.w"},
	}
	before := s.Tensors()[0].Data[0]
	for _, c := range bad {
		err := s.Load(c.ts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
		if s.Tensors()[0].Data[0] != before {
			t.Errorf("%s: failed load modified the store", c.name)
		}
	}
	if _, err := s.New("enc.0.w", []int{1}, Zeros, 1, 1, rng); err == nil {
		t.Error("duplicate parameter name accepted")
	}
	if _, err := NewLinear(s, "x", 0, 2, Zeros, rng); err == nil {
		t.Error("zero-size linear accepted")
	}
}

func TestInitializerStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const fanIn, fanOut, n = 200, 100, 200 * 100
	cases := []struct {
		name string
		init Initializer
		want float64 // variance
	}{
		{"he_normal", HeNormal, 2.0 / fanIn},
		{"he_uniform", HeUniform, 2.0 / fanIn},
		{"glorot_uniform", GlorotUniform, 2.0 / (fanIn + fanOut)},
		{"glorot_normal", GlorotNormal, 2.0 / (fanIn + fanOut)},
	}
	for _, c := range cases {
		dst := make([]float64, n)
		c.init(rng, fanIn, fanOut, dst)
		var mean, sq float64
		for _, v := range dst {
			mean += v
			sq += v * v
		}
		mean /= n
		v := sq/n - mean*mean
		if r := v / c.want; r < 0.95 || r > 1.05 {
			t.Errorf("%s: variance %.4g, want %.4g", c.name, v, c.want)
		}
	}
}

func TestLinearShapeError(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	s := NewStore(tensor.Float32)
	l, _ := NewLinear(s, "l", 3, 2, HeNormal, rng)
	g := NewGraph(s)
	x, _ := g.Input("x", 4, 5)
	if _, err := l.Forward(g, x); err == nil || !strings.Contains(err.Error(), "expects") {
		t.Fatalf("wrong input width: err %v", err)
	}
	if _, err := Activation("swish"); err == nil {
		t.Fatal("unknown activation accepted")
	}
	var e error = errNoInputGrad(l)
	if errors.Unwrap(e) != nil && e.Error() == "" {
		t.Fatal("empty error")
	}
}
