package nn

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/par"
)

// squashOp is the logistic function or tanh, y = s(x), or its derivative
// gy ⊙ s′ written with the output y (y(1 − y) for the logistic function,
// 1 − y² for tanh), each one pass into a kept buffer. Gorgonia's Sigmoid
// and Tanh allocate their output on every run (the logistic function
// through a per-element function call), and the derivative is three more
// full tensors: on a decoder's 64×12,288 CelebA output that is 3 MB per
// node per step. The derivative node is also the layers' InputGrad, and is
// differentiable again (through Gorgonia's element-wise nodes), so
// gradients of every order exist.
type squashOp struct {
	tanh  bool
	grad  bool // gy ⊙ s′(y) from inputs (gy, y)
	shape tensor.Shape
	dt    tensor.Dtype
	buf   *tensor.Dense
}

// squash returns s(x), the logistic function or (tanh) the hyperbolic
// tangent of x.
func squash(x *G.Node, tanh bool) (*G.Node, error) {
	return applySquash(&squashOp{tanh: tanh}, x)
}

// squashGrad returns gy ⊙ s′ for y = s(x), written with y.
func squashGrad(gy, y *G.Node, tanh bool) (*G.Node, error) {
	return applySquash(&squashOp{tanh: tanh, grad: true}, gy, y)
}

func applySquash(op *squashOp, in ...*G.Node) (*G.Node, error) {
	op.shape, op.dt = in[0].Shape().Clone(), in[0].Dtype()
	return applyChecked(op, op.dt, func(int) tensor.Shape { return op.shape }, in...)
}

func (op *squashOp) Arity() int {
	if op.grad {
		return 2
	}
	return 1
}

func (op *squashOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := G.TensorType{Dims: len(op.shape), Of: a}
	if op.grad {
		return hm.NewFnType(t, t, t)
	}
	return hm.NewFnType(t, t)
}

func (op *squashOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }
func (op *squashOp) ReturnsPtr() bool                               { return false }
func (op *squashOp) CallsExtern() bool                              { return false }
func (op *squashOp) OverwritesInput() int                           { return -1 }
func (op *squashOp) WriteHash(h hash.Hash)                          { fmt.Fprintf(h, "%s@%p", op, op) }
func (op *squashOp) Hashcode() uint32                               { return OpHash(op) }
func (op *squashOp) String() string {
	name := "sigmoid"
	if op.tanh {
		name = "tanh"
	}
	if op.grad {
		name += "Grad"
	}
	return name
}

func (op *squashOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

func (op *squashOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if !op.grad { // y = s(x): dx = grad ⊙ s′(y)
		d, err := squashGrad(grad, output, op.tanh)
		if err != nil {
			return nil, err
		}
		return G.Nodes{d}, nil
	}
	// out = gy ⊙ s′(y): d gy = grad ⊙ s′(y), d y = grad ⊙ gy ⊙ s″ with
	// s″ = 1 − 2y (logistic) or −2y (tanh) as a function of y.
	gy, y := inputs[0], inputs[1]
	dgy, err := squashGrad(grad, y, op.tanh)
	if err != nil {
		return nil, err
	}
	twoY, err := G.Mul(y, scalarNode(op.dt, 2))
	if err != nil {
		return nil, err
	}
	var s2 *G.Node
	if op.tanh {
		s2, err = G.Neg(twoY)
	} else {
		s2, err = G.Sub(scalarNode(op.dt, 1), twoY)
	}
	if err != nil {
		return nil, err
	}
	dy, err := G.HadamardProd(G.Must(G.HadamardProd(grad, gy)), s2)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dgy, dy}, nil
}

func (op *squashOp) Do(vals ...G.Value) (G.Value, error) {
	return keptDo(op, &op.buf, op.dt, op.shape, vals, op.Arity(), sameShape(op.shape),
		func(d []float32, in [][]float32) { squashK(op, d, in) },
		func(d []float64, in [][]float64) { squashK(op, d, in) })
}

func squashK[T float32 | float64](op *squashOp, dst []T, in [][]T) {
	par.Elements(len(dst), func(i0, i1 int) {
		switch {
		case op.grad && op.tanh:
			gy, y := in[0][i0:i1], in[1][i0:i1]
			for i, v := range y {
				dst[i0+i] = gy[i] * (1 - v*v)
			}
		case op.grad:
			gy, y := in[0][i0:i1], in[1][i0:i1]
			for i, v := range y {
				dst[i0+i] = gy[i] * v * (1 - v)
			}
		case op.tanh:
			for i, v := range in[0][i0:i1] {
				dst[i0+i] = T(math.Tanh(float64(v)))
			}
		default:
			for i, v := range in[0][i0:i1] {
				dst[i0+i] = T(1 / (1 + math.Exp(-float64(v))))
			}
		}
	})
}
