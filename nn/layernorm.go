package nn

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LayerNorm normalises every example of an N×C×... batch over all its
// elements (C, H, W for images, the features for N×F inputs) to zero mean
// and unit variance, then scales and shifts it per channel (axis 1):
//
//	y[n, c, ...] = γ[c]·(x[n, c, ...] − μ_n)/sqrt(σ²_n + Eps) + β[c]
//
// with γ stored as Name+".g" (initially ones) and β as Name+".b" (zeros).
// Unlike batch normalisation it treats examples independently, so it can be
// used in a WGAN-GP critic.
type LayerNorm struct {
	Name     string
	Channels int
	Eps      float64
}

// NewLayerNorm creates the gain and bias of a LayerNorm over inputs with the
// given number of channels (or features); eps ≤ 0 selects 1e-5.
func NewLayerNorm(s *Store, name string, channels int, eps float64) (*LayerNorm, error) {
	if channels <= 0 {
		return nil, fmt.Errorf("nn: layer norm %q with %d channels", name, channels)
	}
	if eps <= 0 {
		eps = 1e-5
	}
	if _, err := s.New(name+".g", []int{channels}, ones, channels, channels, nil); err != nil {
		return nil, err
	}
	if _, err := s.New(name+".b", []int{channels}, Zeros, channels, channels, nil); err != nil {
		return nil, err
	}
	return &LayerNorm{Name: name, Channels: channels, Eps: eps}, nil
}

func ones(_ *rand.Rand, _, _ int, dst []float64) {
	for i := range dst {
		dst[i] = 1
	}
}

// normalise returns x̂ as an N×D matrix and 1/sqrt(σ² + Eps) as an N vector.
func (l *LayerNorm) normalise(g *Graph, x *G.Node) (xh, inv *G.Node, err error) {
	if x.Dims() < 2 || x.Shape()[1] != l.Channels {
		return nil, nil, fmt.Errorf("nn: layer norm %q expects N×%d×... input, got %v", l.Name, l.Channels, x.Shape())
	}
	s := x.Shape()
	n, d := s[0], s.TotalSize()/s[0]
	xf := x
	if x.Dims() != 2 {
		if xf, err = reshapeCopy(g.G, x, tensor.Shape{n, d}); err != nil {
			return nil, nil, err
		}
	}
	mu, err := G.Mean(xf, 1)
	if err != nil {
		return nil, nil, err
	}
	xc, err := rowOp(g, G.Sub, xf, mu)
	if err != nil {
		return nil, nil, err
	}
	sq, err := G.Square(xc)
	if err != nil {
		return nil, nil, err
	}
	v, err := G.Mean(sq, 1)
	if err != nil {
		return nil, nil, err
	}
	ve, err := G.Add(v, g.Scalar(l.Eps))
	if err != nil {
		return nil, nil, err
	}
	sd, err := G.Sqrt(ve)
	if err != nil {
		return nil, nil, err
	}
	if inv, err = G.Inverse(sd); err != nil {
		return nil, nil, err
	}
	if xh, err = rowOp(g, G.HadamardProd, xc, inv); err != nil {
		return nil, nil, err
	}
	return xh, inv, nil
}

// Forward normalises x.
func (l *LayerNorm) Forward(g *Graph, x *G.Node) (*G.Node, error) {
	xh, _, err := l.normalise(g, x)
	if err != nil {
		return nil, fmt.Errorf("nn: layer norm %q: %w", l.Name, err)
	}
	gain, err := g.Param(l.Name + ".g")
	if err != nil {
		return nil, err
	}
	bias, err := g.Param(l.Name + ".b")
	if err != nil {
		return nil, err
	}
	if xh, err = reshapeLike(g, xh, x); err != nil {
		return nil, err
	}
	gb, err := chanBcast(g.G, gain, x.Shape())
	if err != nil {
		return nil, err
	}
	y, err := G.HadamardProd(xh, gb)
	if err != nil {
		return nil, fmt.Errorf("nn: layer norm %q: %w", l.Name, err)
	}
	return addChanBias(g, y, bias)
}

// InputGrad returns the vector-Jacobian product
//
//	gx = (ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)) / sqrt(σ² + Eps),  ĝ = γ ⊙ gy,
//
// with means over each example, as one lnGrad node whose derivatives (in
// ĝ, and in x for the second order of a gradient penalty) are written out.
func (l *LayerNorm) InputGrad(g *Graph, x, _, gy *G.Node) (*G.Node, error) {
	if !gy.Shape().Eq(x.Shape()) {
		return nil, fmt.Errorf("nn: layer norm %q: output gradient %v for input %v", l.Name, gy.Shape(), x.Shape())
	}
	gx, err := l.inputGrad(g, x, gy)
	if err != nil {
		return nil, fmt.Errorf("nn: layer norm %q: %w", l.Name, err)
	}
	return gx, nil
}

func (l *LayerNorm) inputGrad(g *Graph, x, gy *G.Node) (*G.Node, error) {
	gain, err := g.Param(l.Name + ".g")
	if err != nil {
		return nil, err
	}
	gb, err := chanBcast(g.G, gain, x.Shape())
	if err != nil {
		return nil, err
	}
	gh, err := G.HadamardProd(gy, gb)
	if err != nil {
		return nil, err
	}
	s := x.Shape()
	flat := tensor.Shape{s[0], s.TotalSize() / s[0]}
	xf, err := reshapeCopy(g.G, x, flat)
	if err != nil {
		return nil, err
	}
	if gh, err = reshapeCopy(g.G, gh, flat); err != nil {
		return nil, err
	}
	gx, err := lnGrad(xf, gh, l.Eps)
	if err != nil {
		return nil, err
	}
	return reshapeLike(g, gx, x)
}

// rowOp returns f(a, v broadcast along the rows of a) for an N×D matrix a
// and an N vector v, broadcasting with rowBcast (one pass into a kept
// buffer) rather than Gorgonia's Broadcast ops (a repeat into a fresh
// tensor per run).
func rowOp(g *Graph, f func(a, b *G.Node) (*G.Node, error), a, v *G.Node) (*G.Node, error) {
	vb, err := rowBcast(g.G, v, a.Shape()[1])
	if err != nil {
		return nil, err
	}
	return f(a, vb)
}
