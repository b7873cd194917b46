package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/par"
	"otgen/internal/vec"
)

// slopeMulOp computes v ⊙ s(x) with s(x) = 1 for x > 0 and alpha otherwise,
// in one pass. The leaky rectifier is slopeMul(x, x): its derivative w.r.t.
// v is slopeMul(grad, x), and s is treated as a constant (its derivative is
// zero almost everywhere), so the op is its own derivative and gradients of
// every order exist. Gorgonia's LeakyRelu is six nodes (mask, products,
// sums), each allocating a full tensor.
type slopeMulOp struct {
	alpha float64
	shape tensor.Shape
	dt    tensor.Dtype
	buf   *tensor.Dense
}

// slopeMul returns v ⊙ s(x) for v and x of the same shape.
func slopeMul(gg *G.ExprGraph, v, x *G.Node, alpha float64) (*G.Node, error) {
	if !v.Shape().Eq(x.Shape()) || v.Dtype() != x.Dtype() {
		return nil, fmt.Errorf("nn: leaky slope of %v %v by %v %v", v.Shape(), v.Dtype(), x.Shape(), x.Dtype())
	}
	if v.Graph() == nil {
		v = gg.AddNode(v)
	}
	op := &slopeMulOp{alpha: alpha, shape: x.Shape().Clone(), dt: x.Dtype()}
	n, err := G.ApplyOp(op, v, x)
	if err != nil {
		return nil, fmt.Errorf("nn: leaky relu: %w", err)
	}
	return n, nil
}

func (op *slopeMulOp) Arity() int { return 2 }
func (op *slopeMulOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := G.TensorType{Dims: len(op.shape), Of: a}
	return hm.NewFnType(t, t, t)
}
func (op *slopeMulOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }
func (op *slopeMulOp) ReturnsPtr() bool                               { return false }
func (op *slopeMulOp) CallsExtern() bool                              { return false }
func (op *slopeMulOp) OverwritesInput() int                           { return -1 }
func (op *slopeMulOp) WriteHash(h hash.Hash)                          { fmt.Fprintf(h, "slopeMul(%g)@%p", op.alpha, op) }
func (op *slopeMulOp) Hashcode() uint32                               { return OpHash(op) }
func (op *slopeMulOp) String() string                                 { return fmt.Sprintf("slopeMul(%g)", op.alpha) }
func (op *slopeMulOp) DiffWRT(int) []bool                             { return []bool{true, false} }

func (op *slopeMulOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := slopeMul(grad.Graph(), grad, inputs[1], op.alpha)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d, nil}, nil
}

func (op *slopeMulOp) Do(vals ...G.Value) (G.Value, error) {
	return keptDo(op, &op.buf, op.dt, op.shape, vals, 2, sameShape(op.shape),
		func(d []float32, in [][]float32) {
			par.Elements(len(d), func(i0, i1 int) { vec.SlopeMul(d[i0:i1], in[0][i0:i1], in[1][i0:i1], float32(op.alpha)) })
		},
		func(d []float64, in [][]float64) {
			par.Elements(len(d), func(i0, i1 int) { vec.SlopeMul64(d[i0:i1], in[0][i0:i1], in[1][i0:i1], op.alpha) })
		})
}

// leakyForward is the (leaky) rectifier x ⊙ s(x) as one node.
func leakyForward(g *Graph, x *G.Node, alpha float64) (*G.Node, error) {
	return slopeMul(g.G, x, x, alpha)
}

// leakyInputGrad is its vector-Jacobian product gy ⊙ s(x).
func leakyInputGrad(g *Graph, x, gy *G.Node, alpha float64) (*G.Node, error) {
	return slopeMul(g.G, gy, x, alpha)
}
