package classifier

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/nn"
)

// lossOp is a scalar loss of N×K logits whose forward pass also writes the
// loss's gradient with respect to the logits; the backward pass scales
// that cached gradient by the incoming scalar gradient (nn.CachedGrad).
// Both classifiers' cross-entropies are lossOps: only eval differs.
type lossOp struct {
	name string // the op's name, in errors and hashes
	n, k int
	dt   tensor.Dtype
	grad []float64 // cached by the last forward pass, N×K
	// eval returns the loss of the logits (z(i) is logit i, row-major)
	// and writes its gradient into grad (N×K). A non-finite loss is
	// returned as a value, not an error (which the tape machine would
	// bury in its own text), for Train to report.
	eval func(z func(i int) float64, grad []float64) (float64, error)
}

// applyLoss returns the node of the loss eval of the N×K logits; what
// names the loss in errors.
func applyLoss(logits *G.Node, name, what string, eval func(z func(int) float64, grad []float64) (float64, error)) (*G.Node, error) {
	if logits.Dims() != 2 {
		return nil, fmt.Errorf("classifier: %s of %v logits, want N×K", what, logits.Shape())
	}
	s := logits.Shape()
	op := &lossOp{name: name, n: s[0], k: s[1], dt: logits.Dtype(), eval: eval}
	out, err := G.ApplyOp(op, logits)
	if err != nil {
		return nil, fmt.Errorf("classifier: %s: %w", what, err)
	}
	return out, nil
}

func (op *lossOp) Arity() int { return 1 }
func (op *lossOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, a)
}
func (op *lossOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
func (op *lossOp) ReturnsPtr() bool                               { return false }
func (op *lossOp) CallsExtern() bool                              { return false }
func (op *lossOp) OverwritesInput() int                           { return -1 }
func (op *lossOp) WriteHash(h hash.Hash)                          { fmt.Fprintf(h, "%s@%p", op.name, op) }
func (op *lossOp) Hashcode() uint32                               { return nn.OpHash(op) }
func (op *lossOp) String() string                                 { return op.name }
func (op *lossOp) DiffWRT(int) []bool                             { return []bool{true} }

func (op *lossOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	g, err := nn.CachedGrad(op.name, &op.grad, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{g}, nil
}

func (op *lossOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 1 {
		return nil, fmt.Errorf("%s: %d inputs", op, len(vals))
	}
	z, ok := vals[0].(*tensor.Dense)
	if !ok || !z.Shape().Eq(tensor.Shape{op.n, op.k}) {
		return nil, fmt.Errorf("%s: input %v, want %d×%d", op, vals[0].Shape(), op.n, op.k)
	}
	if z.IsView() {
		z = z.Materialize().(*tensor.Dense)
	}
	if len(op.grad) != op.n*op.k {
		op.grad = make([]float64, op.n*op.k)
	}
	var at func(int) float64
	switch d := z.Data().(type) {
	case []float32:
		at = func(i int) float64 { return float64(d[i]) }
	case []float64:
		at = func(i int) float64 { return d[i] }
	default:
		return nil, fmt.Errorf("%s: unsupported %v", op, z.Dtype())
	}
	loss, err := op.eval(at, op.grad)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if op.dt == tensor.Float32 {
		return G.NewF32(float32(loss)), nil
	}
	return G.NewF64(loss), nil
}
