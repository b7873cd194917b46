package classifier

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/nn"
)

// sigmoidXentOp is the mean sigmoid (binary) cross-entropy of N×K logits
// against the 0/1 targets held in *targets (N×K, row-major), the loss of
// multi-label classification:
//
//	L = (1/(N·K)) Σ_ik [ log(1 + exp(z_ik)) − y_ik·z_ik ],
//
// computed stably as max(z, 0) − y·z + log(1 + exp(−|z|)). The forward
// pass caches the gradient (σ(z_ik) − y_ik)/(N·K), which the backward pass
// scales by the incoming scalar gradient. The targets are read at every
// run, so the caller refills them between runs.
type sigmoidXentOp struct {
	targets *[]float32
	n, k    int
	dt      tensor.Dtype
	grad    []float64 // cached by the last forward pass, N×K
}

// sigmoidCrossEntropy returns the mean binary cross-entropy node of the
// N×K logits against *targets.
func sigmoidCrossEntropy(logits *G.Node, targets *[]float32) (*G.Node, error) {
	if logits.Dims() != 2 {
		return nil, fmt.Errorf("classifier: sigmoid cross-entropy of %v logits, want N×K", logits.Shape())
	}
	s := logits.Shape()
	op := &sigmoidXentOp{targets: targets, n: s[0], k: s[1], dt: logits.Dtype()}
	out, err := G.ApplyOp(op, logits)
	if err != nil {
		return nil, fmt.Errorf("classifier: sigmoid cross-entropy: %w", err)
	}
	return out, nil
}

func (op *sigmoidXentOp) Arity() int { return 1 }
func (op *sigmoidXentOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, a)
}
func (op *sigmoidXentOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}
func (op *sigmoidXentOp) ReturnsPtr() bool      { return false }
func (op *sigmoidXentOp) CallsExtern() bool     { return false }
func (op *sigmoidXentOp) OverwritesInput() int  { return -1 }
func (op *sigmoidXentOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "sigmoidXent@%p", op) }
func (op *sigmoidXentOp) Hashcode() uint32      { return nn.OpHash(op) }
func (op *sigmoidXentOp) String() string        { return "sigmoidCrossEntropy" }
func (op *sigmoidXentOp) DiffWRT(int) []bool    { return []bool{true} }

func (op *sigmoidXentOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	g, err := nn.CachedGrad("sigmoidCrossEntropy", &op.grad, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{g}, nil
}

func (op *sigmoidXentOp) Do(vals ...G.Value) (G.Value, error) {
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
	y := *op.targets
	if len(y) != op.n*op.k {
		return nil, fmt.Errorf("%s: %d targets for %d×%d logits", op, len(y), op.n, op.k)
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
	inv := 1 / float64(op.n*op.k)
	loss := 0.0
	for i, t := range y {
		if t != 0 && t != 1 {
			return nil, fmt.Errorf("%s: target %v of row %d, column %d is not 0 or 1", op, t, i/op.k, i%op.k)
		}
		v := at(i)
		loss += math.Max(v, 0) - float64(t)*v + math.Log1p(math.Exp(-math.Abs(v)))
		op.grad[i] = (sigmoid(v) - float64(t)) * inv
	}
	// Non-finite logits give a non-finite loss, returned as a value for
	// Train to report (an error would be buried in the tape machine's).
	loss *= inv
	if op.dt == tensor.Float32 {
		return G.NewF32(float32(loss)), nil
	}
	return G.NewF64(loss), nil
}

// sigmoid is the logistic function, without overflow for large |v|.
func sigmoid(v float64) float64 {
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}
