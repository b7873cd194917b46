package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// ReLU is max(x, 0).
type ReLU struct{}

// Forward applies the rectifier (one fused node, see slopeMul).
func (ReLU) Forward(g *Graph, x *G.Node) (*G.Node, error) { return leakyForward(g, x, 0) }

// InputGrad returns gy ⊙ 1[x > 0]; the mask is a constant for
// differentiation, as the second derivative of ReLU is zero almost everywhere.
func (ReLU) InputGrad(g *Graph, x, _, gy *G.Node) (*G.Node, error) {
	return leakyInputGrad(g, x, gy, 0)
}

// LeakyReLU is x for x > 0 and Alpha·x otherwise.
type LeakyReLU struct{ Alpha float64 }

// Forward applies the leaky rectifier (one fused node, see slopeMul).
func (l LeakyReLU) Forward(g *Graph, x *G.Node) (*G.Node, error) {
	return leakyForward(g, x, l.Alpha)
}

// InputGrad returns gy ⊙ (1 for x > 0, Alpha otherwise), the slope being a
// constant for differentiation.
func (l LeakyReLU) InputGrad(g *Graph, x, _, gy *G.Node) (*G.Node, error) {
	return leakyInputGrad(g, x, gy, l.Alpha)
}

// Tanh is the hyperbolic tangent.
type Tanh struct{}

// Forward applies tanh (one node with a kept buffer, see squashOp).
func (Tanh) Forward(_ *Graph, x *G.Node) (*G.Node, error) { return squash(x, true) }

// InputGrad returns gy ⊙ (1 − y²) (one node, differentiable again).
func (Tanh) InputGrad(_ *Graph, _, y, gy *G.Node) (*G.Node, error) { return squashGrad(gy, y, true) }

// Sigmoid is 1/(1 + exp(−x)).
type Sigmoid struct{}

// Forward applies the logistic function (one node with a kept buffer, see
// squashOp).
func (Sigmoid) Forward(_ *Graph, x *G.Node) (*G.Node, error) { return squash(x, false) }

// InputGrad returns gy ⊙ y(1 − y) (one node, differentiable again).
func (Sigmoid) InputGrad(_ *Graph, _, y, gy *G.Node) (*G.Node, error) {
	return squashGrad(gy, y, false)
}

// Activation returns the activation layer called name: "relu",
// "leaky_relu" (slope 0.2), "tanh", "sigmoid", or "linear" (nil, no layer).
func Activation(name string) (Layer, error) {
	switch name {
	case "relu":
		return ReLU{}, nil
	case "leaky_relu", "lrelu":
		return LeakyReLU{Alpha: 0.2}, nil
	case "tanh":
		return Tanh{}, nil
	case "sigmoid":
		return Sigmoid{}, nil
	case "linear", "identity", "":
		return nil, nil
	}
	return nil, fmt.Errorf("nn: unknown activation %q (want relu, leaky_relu, tanh, sigmoid or linear)", name)
}

func errNoInputGrad(l Layer) error {
	return fmt.Errorf("nn: layer %T cannot build its input gradient", l)
}
