package nn

import (
	G "gorgonia.org/gorgonia"
)

// Layer maps a batch of inputs to a batch of outputs inside a graph.
type Layer interface {
	Forward(g *Graph, x *G.Node) (*G.Node, error)
}

// InputGrader is a Layer that can build, as ordinary graph nodes, the
// vector-Jacobian product gy·∂y/∂x of its output y = Forward(x) with respect
// to its input. The result is differentiable again with respect to the
// layer's parameters, which is what a gradient penalty needs.
type InputGrader interface {
	Layer
	InputGrad(g *Graph, x, y, gy *G.Node) (*G.Node, error)
}

// Sequential applies layers one after another.
type Sequential []Layer

// Forward applies every layer in order.
func (s Sequential) Forward(g *Graph, x *G.Node) (*G.Node, error) {
	_, y, err := s.forwardAll(g, x)
	return y, err
}

func (s Sequential) forwardAll(g *Graph, x *G.Node) ([]*G.Node, *G.Node, error) {
	ins := make([]*G.Node, len(s))
	for i, l := range s {
		ins[i] = x
		y, err := l.Forward(g, x)
		if err != nil {
			return nil, nil, err
		}
		x = y
	}
	return ins, x, nil
}

// ForwardWithInputGrad applies the layers and also builds the gradient of
// sum(y ⊙ gy) with respect to x (the vector-Jacobian product) by chaining
// every layer's InputGrad backwards. gy is the seed (for a scalar critic
// output, ones). Every layer must implement InputGrader.
func (s Sequential) ForwardWithInputGrad(g *Graph, x *G.Node, seed func(y *G.Node) (*G.Node, error)) (y, gx *G.Node, err error) {
	ins, y, err := s.forwardAll(g, x)
	if err != nil {
		return nil, nil, err
	}
	gy, err := seed(y)
	if err != nil {
		return nil, nil, err
	}
	out := y
	for i := len(s) - 1; i >= 0; i-- {
		ig, ok := s[i].(InputGrader)
		if !ok {
			return nil, nil, errNoInputGrad(s[i])
		}
		var layerOut *G.Node
		if i+1 < len(s) {
			layerOut = ins[i+1]
		} else {
			layerOut = out
		}
		gy, err = ig.InputGrad(g, ins[i], layerOut, gy)
		if err != nil {
			return nil, nil, err
		}
	}
	return y, gy, nil
}
