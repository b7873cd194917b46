package nn

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// Linear is a fully connected layer y = x W + b with W of shape In×Out and b
// of shape Out, stored as parameters Name+".w" and Name+".b".
type Linear struct {
	Name    string
	In, Out int
}

// NewLinear creates the parameters of a Linear layer in s: weights from
// init, biases zero.
func NewLinear(s *Store, name string, in, out int, init Initializer, rng *rand.Rand) (*Linear, error) {
	if in <= 0 || out <= 0 {
		return nil, fmt.Errorf("nn: linear %q with sizes %d→%d", name, in, out)
	}
	if _, err := s.New(name+".w", []int{in, out}, init, in, out, rng); err != nil {
		return nil, err
	}
	if _, err := s.New(name+".b", []int{out}, Zeros, in, out, rng); err != nil {
		return nil, err
	}
	return &Linear{Name: name, In: in, Out: out}, nil
}

// Forward computes x W + b for x of shape batch×In.
func (l *Linear) Forward(g *Graph, x *G.Node) (*G.Node, error) {
	if x.Dims() != 2 || x.Shape()[1] != l.In {
		return nil, fmt.Errorf("nn: linear %q expects batch×%d input, got %v", l.Name, l.In, x.Shape())
	}
	w, err := g.Param(l.Name + ".w")
	if err != nil {
		return nil, err
	}
	b, err := g.Param(l.Name + ".b")
	if err != nil {
		return nil, err
	}
	xw, err := gemm(x, w, false, false)
	if err != nil {
		return nil, fmt.Errorf("nn: linear %q: %w", l.Name, err)
	}
	y, err := chanAdd(xw, b)
	if err != nil {
		return nil, fmt.Errorf("nn: linear %q: %w", l.Name, err)
	}
	return y, nil
}

// InputGrad returns gy Wᵀ.
func (l *Linear) InputGrad(g *Graph, _, _, gy *G.Node) (*G.Node, error) {
	w, err := g.Param(l.Name + ".w")
	if err != nil {
		return nil, err
	}
	return gemm(gy, w, false, true)
}
