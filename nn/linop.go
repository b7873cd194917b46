package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The layers use a few linear custom ops, each of which moves or sums
// elements without arithmetic on their values (the convolutions' own
// patch copies are in convop.go):
//
//	chanBcast   per-channel vector [C] → a full tensor (bias, gain)
//	chanSum     its adjoint: sum over everything but the channel axis
//	reshape     a copy with another shape (Gorgonia's Reshape aliases its
//	            input, and a later in-place op can then overwrite a bound
//	            input tensor; a copy is cheap and safe)
//
// A linear op's derivative is its adjoint applied to the incoming gradient,
// and the adjoint of the adjoint is the op itself, so SymDiff always returns
// another op of this family: gradients of every order exist, which is what a
// gradient penalty through a convolution needs.

type linKind int

const (
	kChanBcast linKind = iota
	kChanSum
	kReshape
	kRowBcast
	kRowSum
)

var linNames = [...]string{"chanBcast", "chanSum", "reshape", "rowBcast", "rowSum"}

func (k linKind) adjoint() linKind {
	switch k {
	case kChanBcast:
		return kChanSum
	case kChanSum:
		return kChanBcast
	case kRowBcast:
		return kRowSum
	case kRowSum:
		return kRowBcast
	default:
		return kReshape
	}
}

// linOp is one of the linear ops above with static input and output shapes.
// Each node gets its own op (its address is in the hash), which owns the
// output buffer reused from one run of the graph to the next.
type linOp struct {
	kind    linKind
	in, out tensor.Shape
	dt      tensor.Dtype
	buf     *tensor.Dense
}

// applyLin applies a new linOp to x. A constant x that belongs to no graph
// (G.NewConstant) is added to gg first.
func applyLin(gg *G.ExprGraph, kind linKind, x *G.Node, in, out tensor.Shape) (*G.Node, error) {
	if x.Graph() == nil {
		if gg == nil {
			return nil, fmt.Errorf("nn: %s of a node that belongs to no graph", linNames[kind])
		}
		x = gg.AddNode(x)
	}
	if !x.Shape().Eq(in) {
		return nil, fmt.Errorf("nn: %s expects shape %v, got %v", linNames[kind], in, x.Shape())
	}
	if dt := x.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("nn: %s of %v", linNames[kind], dt)
	}
	op := &linOp{kind: kind, in: in.Clone(), out: out.Clone(), dt: x.Dtype()}
	n, err := G.ApplyOp(op, x)
	if err != nil {
		return nil, fmt.Errorf("nn: %s: %w", linNames[kind], err)
	}
	return n, nil
}

// chanBcast returns a tensor of the given shape (at least 2-D, channels on
// axis 1) whose element [n, c, ...] is v[c].
func chanBcast(gg *G.ExprGraph, v *G.Node, shape tensor.Shape) (*G.Node, error) {
	if len(shape) < 2 {
		return nil, fmt.Errorf("nn: channel broadcast to shape %v", shape)
	}
	return applyLin(gg, kChanBcast, v, tensor.Shape{shape[1]}, shape)
}

// reshapeCopy returns a copy of x with the given shape (same total size).
func reshapeCopy(gg *G.ExprGraph, x *G.Node, shape tensor.Shape) (*G.Node, error) {
	if x.Shape().TotalSize() != shape.TotalSize() {
		return nil, fmt.Errorf("nn: cannot reshape %v to %v", x.Shape(), shape)
	}
	if x.Shape().Eq(shape) {
		return x, nil
	}
	return applyLin(gg, kReshape, x, x.Shape().Clone(), shape)
}

func (op *linOp) Arity() int { return 1 }

func (op *linOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: len(op.in), Of: a}, G.TensorType{Dims: len(op.out), Of: a})
}

func (op *linOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.out.Clone(), nil }

func (op *linOp) ReturnsPtr() bool     { return false }
func (op *linOp) CallsExtern() bool    { return false }
func (op *linOp) OverwritesInput() int { return -1 }
func (op *linOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "%s%v→%v@%p", linNames[op.kind], op.in, op.out, op)
}
func (op *linOp) Hashcode() uint32 { return OpHash(op) }
func (op *linOp) String() string   { return fmt.Sprintf("%s%v→%v", linNames[op.kind], op.in, op.out) }

func (op *linOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff applies the adjoint op to the incoming gradient.
func (op *linOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := applyLin(grad.Graph(), op.kind.adjoint(), grad, op.out, op.in)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d}, nil
}

func (op *linOp) Do(vals ...G.Value) (G.Value, error) {
	return keptDo(op, &op.buf, op.dt, op.out, vals, 1, sameShape(op.in),
		func(d []float32, in [][]float32) { runLin(op, d, in[0]) },
		func(d []float64, in [][]float64) { runLin(op, d, in[0]) })
}

func runLin[T float32 | float64](op *linOp, dst, src []T) {
	switch op.kind {
	case kChanBcast:
		c := op.out[1]
		inner := op.out.TotalSize() / (op.out[0] * c)
		for i := 0; i < len(dst); i += c * inner {
			for ch, v := range src {
				blk := dst[i+ch*inner : i+(ch+1)*inner]
				for j := range blk {
					blk[j] = v
				}
			}
		}
	case kReshape:
		copy(dst, src)
	case kRowBcast:
		d := len(dst) / len(src)
		for i, v := range src {
			row := dst[i*d : (i+1)*d]
			for j := range row {
				row[j] = v
			}
		}
	case kRowSum:
		d := len(src) / len(dst)
		for i := range dst {
			var s T
			for _, v := range src[i*d : (i+1)*d] {
				s += v
			}
			dst[i] = s
		}
	case kChanSum:
		c := op.in[1]
		inner := op.in.TotalSize() / (op.in[0] * c)
		clear(dst)
		for i := 0; i < len(src); i += c * inner {
			for ch := range dst {
				var s T
				for _, v := range src[i+ch*inner : i+(ch+1)*inner] {
					s += v
				}
				dst[ch] += s
			}
		}
	}
}
