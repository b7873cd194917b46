package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/par"
)

// The gradient penalty of WGAN-GP (Gulrajani et al. 2017) and of the
// learned-cost losses interpolates real and generated rows and takes the
// squared norm of each row of the critic's input gradient. Built from
// Gorgonia's element-wise nodes (Sub from a scalar, two products, a sum,
// Square and its derivative) each of those allocates a batch×dim tensor on
// every critic step; rowOp does each in one pass into a kept buffer.

// rowKind says which row-wise function a rowOp computes.
type rowKind int

const (
	rowSqNorm rowKind = iota // out[i] = Σ_j x[i, j]²
	rowScale2                // out[i, j] = 2·s[i]·x[i, j]
	rowLerp                  // out[i, j] = b[i, j] + t[i, j]·(a[i, j] − b[i, j])
)

// rowOp is one of the row-wise functions above on B×D matrices.
type rowOp struct {
	kind  rowKind
	shape tensor.Shape // the B×D input shape
	dt    tensor.Dtype
	buf   *tensor.Dense
}

// RowSquaredNorms returns the vector of squared Euclidean norms of the rows
// of the B×D matrix x, ‖x_i‖². Its derivative is 2·g_i·x_i, computed in one
// pass; that derivative is itself not differentiable (the gradient penalty
// needs the penalty's gradient, not its second derivative).
func RowSquaredNorms(x *G.Node) (*G.Node, error) {
	if x.Dims() != 2 {
		return nil, fmt.Errorf("nn: row squared norms of shape %v, want a matrix", x.Shape())
	}
	return applyRow(&rowOp{kind: rowSqNorm}, x)
}

// LerpRows returns b + t⊙(a − b) for B×D matrices t, a and b: the points
// between a and b at fractions t (the penalty's interpolates, with t
// repeated along each row). It is differentiable in a and b, not in t.
func LerpRows(t, a, b *G.Node) (*G.Node, error) {
	if t.Dims() != 2 {
		return nil, fmt.Errorf("nn: lerp of shape %v, want matrices", t.Shape())
	}
	return applyRow(&rowOp{kind: rowLerp}, t, a, b)
}

func applyRow(op *rowOp, in ...*G.Node) (*G.Node, error) {
	op.shape, op.dt = in[0].Shape().Clone(), in[0].Dtype()
	return applyChecked(op, op.dt, op.inShape, in...)
}

// inShape returns the shape of input i: B×D, but rowScale2's scales (B).
func (op *rowOp) inShape(i int) tensor.Shape {
	if op.kind == rowScale2 && i == 1 {
		return tensor.Shape{op.shape[0]}
	}
	return op.shape
}

func (op *rowOp) Arity() int {
	switch op.kind {
	case rowSqNorm:
		return 1
	case rowScale2:
		return 2
	}
	return 3
}

func (op *rowOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m := G.TensorType{Dims: 2, Of: a}
	v := G.TensorType{Dims: 1, Of: a}
	switch op.kind {
	case rowSqNorm:
		return hm.NewFnType(m, v)
	case rowScale2:
		return hm.NewFnType(m, v, m)
	}
	return hm.NewFnType(m, m, m, m)
}

func (op *rowOp) outShape() tensor.Shape {
	if op.kind == rowSqNorm {
		return tensor.Shape{op.shape[0]}
	}
	return op.shape.Clone()
}

func (op *rowOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.outShape(), nil }
func (op *rowOp) ReturnsPtr() bool                               { return false }
func (op *rowOp) CallsExtern() bool                              { return false }
func (op *rowOp) OverwritesInput() int                           { return -1 }
func (op *rowOp) WriteHash(h hash.Hash)                          { fmt.Fprintf(h, "%s@%p", op, op) }
func (op *rowOp) Hashcode() uint32                               { return OpHash(op) }
func (op *rowOp) String() string {
	return [...]string{"rowSquaredNorms", "rowScale2", "lerpRows"}[op.kind]
}

func (op *rowOp) DiffWRT(int) []bool {
	switch op.kind {
	case rowSqNorm:
		return []bool{true}
	case rowScale2:
		return []bool{false, false}
	}
	return []bool{false, true, true}
}

func (op *rowOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	switch op.kind {
	case rowSqNorm:
		d, err := applyRow(&rowOp{kind: rowScale2}, inputs[0], grad)
		if err != nil {
			return nil, err
		}
		return G.Nodes{d}, nil
	case rowLerp:
		// d/da = t⊙g, d/db = g − t⊙g: used only when a gradient flows
		// into the interpolated points, which the penalty's does not.
		da, err := G.HadamardProd(inputs[0], grad)
		if err != nil {
			return nil, err
		}
		db, err := G.Sub(grad, da)
		if err != nil {
			return nil, err
		}
		return G.Nodes{nil, da, db}, nil
	}
	return nil, fmt.Errorf("nn: %s is not differentiable", op)
}

func (op *rowOp) Do(vals ...G.Value) (G.Value, error) {
	want := func(i int, s tensor.Shape) bool { return s.Eq(op.inShape(i)) }
	rows, cols := op.shape[0], op.shape[1]
	if op.kind == rowSqNorm {
		// A fresh vector each run (B values), as Gorgonia's Sum gave: the
		// penalty's scalar chain after it (add, sqrt, subtract, square,
		// mean) is Gorgonia's and may run in place on its input; a kept
		// buffer there would be shared with those nodes' registers.
		op.buf = nil
	}
	return keptDo(op, &op.buf, op.dt, op.outShape(), vals, op.Arity(), want,
		func(d []float32, in [][]float32) { rowK(op.kind, d, in, rows, cols) },
		func(d []float64, in [][]float64) { rowK(op.kind, d, in, rows, cols) })
}

// rowK computes the op of kind k into dst, rows in parallel.
func rowK[T float32 | float64](k rowKind, dst []T, in [][]T, rows, cols int) {
	par.Rows(rows, rows*cols, func(r0, r1 int) {
		for i := r0; i < r1; i++ {
			row := in[0][i*cols : (i+1)*cols]
			switch k {
			case rowSqNorm:
				var s T
				for _, v := range row {
					s += v * v
				}
				dst[i] = s
			case rowScale2:
				s := 2 * in[1][i]
				d := dst[i*cols : (i+1)*cols]
				for j, v := range row {
					d[j] = s * v
				}
			case rowLerp:
				a, b := in[1][i*cols:(i+1)*cols], in[2][i*cols:(i+1)*cols]
				d := dst[i*cols : (i+1)*cols]
				for j, t := range row {
					d[j] = b[j] + t*(a[j]-b[j])
				}
			}
		}
	})
}
