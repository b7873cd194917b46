package nn

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
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

// Forward normalises x: lnNorm(x) (one pass) scaled and shifted per
// channel by chanAffine (another), both keeping their output buffers.
func (l *LayerNorm) Forward(g *Graph, x *G.Node) (*G.Node, error) {
	if err := l.check(x); err != nil {
		return nil, err
	}
	gain, err := g.Param(l.Name + ".g")
	if err != nil {
		return nil, err
	}
	bias, err := g.Param(l.Name + ".b")
	if err != nil {
		return nil, err
	}
	xh, err := lnNorm(x, l.Eps)
	if err != nil {
		return nil, fmt.Errorf("nn: layer norm %q: %w", l.Name, err)
	}
	y, err := chanAffine(xh, gain, bias)
	if err != nil {
		return nil, fmt.Errorf("nn: layer norm %q: %w", l.Name, err)
	}
	return y, nil
}

func (l *LayerNorm) check(x *G.Node) error {
	if x.Dims() < 2 || x.Shape()[1] != l.Channels {
		return fmt.Errorf("nn: layer norm %q expects N×%d×... input, got %v", l.Name, l.Channels, x.Shape())
	}
	return nil
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
	if err := l.check(x); err != nil {
		return nil, err
	}
	gain, err := g.Param(l.Name + ".g")
	if err != nil {
		return nil, err
	}
	gh, err := chanAffine(gy, gain, nil)
	if err != nil {
		return nil, err
	}
	return lnGrad(x, gh, l.Eps)
}
