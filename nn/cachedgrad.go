package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CachedGrad returns the node g·(*src) shaped like x: the backward pass of
// an op that computes its gradient together with its value and caches it
// (the OT losses from their optimal plans or potentials, the classifiers'
// cross-entropies from their probabilities). src holds that gradient with
// respect to x in float64, refilled by each forward pass; g is the scalar
// gradient flowing into the op's output; x gives the shape and type. label
// names the node in graphs and errors. The node is never merged with
// another (src's address is part of its hash).
func CachedGrad(label string, src *[]float64, x, g *G.Node) (*G.Node, error) {
	return G.ApplyOp(&cachedGradOp{label: label, src: src}, x, g)
}

type cachedGradOp struct {
	label string
	src   *[]float64
}

func (op *cachedGradOp) Arity() int { return 2 }

func (op *cachedGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(t, a, t)
}

func (op *cachedGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%s: cannot infer shape from %v", op, in[0])
	}
	return s.Clone(), nil
}

func (op *cachedGradOp) Do(vals ...G.Value) (G.Value, error) {
	x, ok := vals[0].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("%s: input is not a dense tensor", op)
	}
	up, err := ScalarOf(vals[1])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	src := *op.src
	if len(src) != x.Shape().TotalSize() {
		return nil, fmt.Errorf("%s: %d cached values for an input of %d (forward pass not run?)", op, len(src), x.Shape().TotalSize())
	}
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(x.Shape().Clone()...))
	switch d := out.Data().(type) {
	case []float32:
		for i, v := range src {
			d[i] = float32(up * v)
		}
	case []float64:
		for i, v := range src {
			d[i] = up * v
		}
	default:
		return nil, fmt.Errorf("%s: unsupported %v", op, x.Dtype())
	}
	return out, nil
}

func (op *cachedGradOp) ReturnsPtr() bool      { return false }
func (op *cachedGradOp) CallsExtern() bool     { return false }
func (op *cachedGradOp) OverwritesInput() int  { return -1 }
func (op *cachedGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "cachedGrad(%s)@%p", op.label, op.src) }
func (op *cachedGradOp) Hashcode() uint32      { return OpHash(op) }
func (op *cachedGradOp) String() string        { return "grad(" + op.label + ")" }
