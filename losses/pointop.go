package losses

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/nn"
)

// pointFunc is a scalar function of two point clouds x (n×d) and y (m×d)
// computed in plain Go, float64, together with its gradient. The OT losses
// (the gradient comes from the optimal plan or potentials, by the envelope
// theorem) and the MMD penalty are pointFuncs.
type pointFunc interface {
	// name labels the op in graphs and errors.
	name() string
	// eval returns f(x, y) and writes ∂f/∂x into gx and ∂f/∂y into gy.
	eval(x, y []float64, n, m, d int, gx, gy []float64) (float64, error)
}

// pointLoss applies f to the rows of x and y as one Gorgonia op. The forward
// pass computes the value and caches the gradients; the backward pass scales
// the cached gradients by the incoming scalar gradient, so the solver is
// never unrolled. Each call creates a distinct op (its address is part of
// its hash) so that two such nodes are never merged.
func pointLoss(f pointFunc, x, y *G.Node) (*G.Node, error) {
	if x.Dims() != 2 || y.Dims() != 2 || x.Shape()[1] != y.Shape()[1] {
		return nil, fmt.Errorf("%s: want n×d and m×d inputs, got %v and %v", f.name(), x.Shape(), y.Shape())
	}
	if x.Dtype() != y.Dtype() {
		return nil, fmt.Errorf("%s: inputs of types %v and %v", f.name(), x.Dtype(), y.Dtype())
	}
	op := &pointLossOp{f: f, dt: x.Dtype()}
	return G.ApplyOp(op, x, y)
}

type pointLossOp struct {
	f      pointFunc
	dt     tensor.Dtype
	gx, gy []float64 // cached by the last forward pass
	x, y   []float64 // scratch
	// spread, when not nil, is the communicator of a batch spread over
	// ranks (see NewSpread), and sp its buffers.
	spread Collective
	sp     spreadBufs
}

func (op *pointLossOp) Arity() int { return 2 }

func (op *pointLossOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(t, t, a)
}

func (op *pointLossOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}

func (op *pointLossOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 2 {
		return nil, fmt.Errorf("%s: %d inputs", op.f.name(), len(vals))
	}
	xt, ok1 := vals[0].(*tensor.Dense)
	yt, ok2 := vals[1].(*tensor.Dense)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s: inputs are not dense tensors", op.f.name())
	}
	n, d := xt.Shape()[0], xt.Shape()[1]
	m := yt.Shape()[0]
	op.x = toFloat64(xt, op.x)
	op.y = toFloat64(yt, op.y)
	if op.spread != nil {
		return op.doSpread(n, m, d)
	}
	op.gx = resize(op.gx, n*d)
	op.gy = resize(op.gy, m*d)
	for i, side := range [][]float64{op.x, op.y} {
		for _, v := range side {
			if !finite(v) {
				return nil, fmt.Errorf("%s: %w in its input %d", op.f.name(), ErrNonFinite, i)
			}
		}
	}
	v, err := op.f.eval(op.x, op.y, n, m, d, op.gx, op.gy)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.f.name(), err)
	}
	if !finite(v) {
		return nil, fmt.Errorf("%s: %w (the loss is %v)", op.f.name(), ErrNonFinite, v)
	}
	if op.dt == tensor.Float32 {
		return G.NewF32(float32(v)), nil
	}
	return G.NewF64(v), nil
}

func (op *pointLossOp) ReturnsPtr() bool     { return false }
func (op *pointLossOp) CallsExtern() bool    { return false }
func (op *pointLossOp) OverwritesInput() int { return -1 }
func (op *pointLossOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "%s@%p", op.f.name(), op)
}
func (op *pointLossOp) Hashcode() uint32 { return nn.OpHash(op) }
func (op *pointLossOp) String() string   { return op.f.name() }

func (op *pointLossOp) DiffWRT(int) []bool { return []bool{true, true} }

func (op *pointLossOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	gx, err := nn.CachedGrad(op.f.name()+"/x", &op.gx, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	gy, err := nn.CachedGrad(op.f.name()+"/y", &op.gy, inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{gx, gy}, nil
}

func toFloat64(t *tensor.Dense, dst []float64) []float64 {
	switch d := t.Data().(type) {
	case []float32:
		dst = resize(dst, len(d))
		for i, v := range d {
			dst[i] = float64(v)
		}
	case []float64:
		dst = resize(dst, len(d))
		copy(dst, d)
	}
	return dst
}

func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
