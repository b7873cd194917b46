package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Reshape gives every example of the batch the shape Shape: an N×... input
// with as many elements per example becomes N×Shape[0]×Shape[1]×...
// (e.g. a generator's N×(128·7·7) linear output becomes N×128×7×7).
type Reshape struct{ Shape []int }

// Forward reshapes x, keeping the batch axis.
func (r Reshape) Forward(g *Graph, x *G.Node) (*G.Node, error) {
	if x.Dims() < 1 {
		return nil, fmt.Errorf("nn: reshape of a scalar")
	}
	per := 1
	for _, d := range r.Shape {
		if d <= 0 {
			return nil, fmt.Errorf("nn: reshape to %v", r.Shape)
		}
		per *= d
	}
	s := x.Shape()
	if s.TotalSize() != s[0]*per {
		return nil, fmt.Errorf("nn: cannot reshape %v to N×%v", s, r.Shape)
	}
	to := append(tensor.Shape{s[0]}, r.Shape...)
	y, err := reshapeCopy(g.G, x, to)
	if err != nil {
		return nil, fmt.Errorf("nn: reshape %v to %v: %w", s, to, err)
	}
	return y, nil
}

// InputGrad reshapes gy back to the shape of x.
func (Reshape) InputGrad(g *Graph, x, _, gy *G.Node) (*G.Node, error) { return reshapeLike(g, gy, x) }

// Flatten turns an N×... input into N×D with D the number of elements per
// example.
type Flatten struct{}

// Forward flattens every example of x.
func (Flatten) Forward(g *Graph, x *G.Node) (*G.Node, error) {
	if x.Dims() < 1 {
		return nil, fmt.Errorf("nn: flatten of a scalar")
	}
	s := x.Shape()
	if x.Dims() == 2 {
		return x, nil
	}
	y, err := reshapeCopy(g.G, x, tensor.Shape{s[0], s.TotalSize() / s[0]})
	if err != nil {
		return nil, fmt.Errorf("nn: flatten %v: %w", s, err)
	}
	return y, nil
}

// InputGrad reshapes gy back to the shape of x.
func (Flatten) InputGrad(g *Graph, x, _, gy *G.Node) (*G.Node, error) { return reshapeLike(g, gy, x) }

func reshapeLike(g *Graph, gy, x *G.Node) (*G.Node, error) {
	if gy.Shape().Eq(x.Shape()) {
		return gy, nil
	}
	if gy.Shape().TotalSize() != x.Shape().TotalSize() {
		return nil, fmt.Errorf("nn: output gradient %v for input %v", gy.Shape(), x.Shape())
	}
	out, err := reshapeCopy(g.G, gy, x.Shape().Clone())
	if err != nil {
		return nil, fmt.Errorf("nn: reshape gradient %v to %v: %w", gy.Shape(), x.Shape(), err)
	}
	return out, nil
}
