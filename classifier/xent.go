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

// xentOp is the mean softmax cross-entropy of N×K logits against the
// integer labels held in *labels (one per row, 0 <= label < K):
//
//	L = (1/N) Σ_i [ log Σ_k exp(z_ik) − z_i,y_i ].
//
// The forward pass computes it stably (the row maximum is subtracted
// before exponentiating) and caches the gradient (softmax(z_i) − e_y_i)/N,
// which the backward pass scales by the incoming scalar gradient. The
// labels are read at every run, so the caller refills them between runs.
type xentOp struct {
	labels *[]int
	n, k   int
	dt     tensor.Dtype
	grad   []float64 // cached by the last forward pass, N×K
}

// softmaxCrossEntropy returns the mean cross-entropy node of the N×K logits
// against *labels.
func softmaxCrossEntropy(logits *G.Node, labels *[]int) (*G.Node, error) {
	if logits.Dims() != 2 {
		return nil, fmt.Errorf("classifier: cross-entropy of %v logits, want N×K", logits.Shape())
	}
	s := logits.Shape()
	op := &xentOp{labels: labels, n: s[0], k: s[1], dt: logits.Dtype()}
	out, err := G.ApplyOp(op, logits)
	if err != nil {
		return nil, fmt.Errorf("classifier: cross-entropy: %w", err)
	}
	return out, nil
}

func (op *xentOp) Arity() int { return 1 }
func (op *xentOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, a)
}
func (op *xentOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
func (op *xentOp) ReturnsPtr() bool                               { return false }
func (op *xentOp) CallsExtern() bool                              { return false }
func (op *xentOp) OverwritesInput() int                           { return -1 }
func (op *xentOp) WriteHash(h hash.Hash)                          { fmt.Fprintf(h, "xent@%p", op) }
func (op *xentOp) Hashcode() uint32                               { return nn.OpHash(op) }
func (op *xentOp) String() string                                 { return "softmaxCrossEntropy" }
func (op *xentOp) DiffWRT(int) []bool                             { return []bool{true} }

func (op *xentOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	g, err := nn.CachedGrad("softmaxCrossEntropy", &op.grad, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{g}, nil
}

func (op *xentOp) Do(vals ...G.Value) (G.Value, error) {
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
	labels := *op.labels
	if len(labels) != op.n {
		return nil, fmt.Errorf("%s: %d labels for %d rows", op, len(labels), op.n)
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
	inv := 1 / float64(op.n)
	loss := 0.0
	for i, y := range labels {
		if y < 0 || y >= op.k {
			return nil, fmt.Errorf("%s: label %d of row %d is not in [0, %d)", op, y, i, op.k)
		}
		row := op.grad[i*op.k : (i+1)*op.k]
		mx := math.Inf(-1)
		for j := range row {
			row[j] = at(i*op.k + j)
			mx = max(mx, row[j])
		}
		zy := row[y]
		sum := 0.0
		for j, v := range row {
			row[j] = math.Exp(v - mx)
			sum += row[j]
		}
		loss += mx + math.Log(sum) - zy
		for j := range row {
			row[j] *= inv / sum
		}
		row[y] -= inv
	}
	// Non-finite logits give a non-finite loss, returned as a value (not
	// an error, which the tape machine would bury in its own text) for
	// Train to report.
	loss *= inv
	if op.dt == tensor.Float32 {
		return G.NewF32(float32(loss)), nil
	}
	return G.NewF64(loss), nil
}
