package losses

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/nn"
)

// The witness guard (--critic-reg witness) of the learned Euclidean cost
// on one feature. As ε grows, sinkhorn-gan's divergence between the
// generated features g (m of them) and the data's r (n) tends to half the
// energy distance (see SinkhornGAN), whose derivative w.r.t. a generated
// feature g_j is h'(g_j)/m, with the witness slope
//
//	h'(t) = (1/n) Σ_k sign(t − r_k) − (1/m) Σ_l sign(t − g_l) ∈ [−2, 2]:
//
// the generator's force on an example x is h'(f(x)) ∇f(x), the gradient
// of the witness h∘f, where WGAN's is ∇f itself. The witness guard holds
// that force, not ∇f: the WGAN-GP penalty λ E (‖∇(h∘f)(x̂)‖ − 1)²
// (Gulrajani et al. 2017, eq. 3) on the witness at interpolates x̂, as
// the MMD GANs of Bińkowski et al. 2018 ("Demystifying MMD GANs", ICLR,
// §4) and the Cramér GAN (Bellemare et al. 2017, Algorithm 1) penalise
// their witness functions. h' is a step function of the features, so its
// derivative is zero almost everywhere and ∇(h∘f) = h'(f(x̂)) ∇f(x̂) is
// differentiated through ∇f alone, exactly.

// witnessSlope returns h'(t) for the rows of t (b×1) given the data's
// features r (n×1) and the generated ones g (m×1), as a graph node whose
// derivative is zero (see above).
func witnessSlope(t, r, g *G.Node) (*G.Node, error) {
	for _, x := range []*G.Node{t, r, g} {
		if x.Dims() != 2 || x.Shape()[1] != 1 {
			return nil, fmt.Errorf("witness slope: want one feature per row, got %v, %v and %v", t.Shape(), r.Shape(), g.Shape())
		}
	}
	return G.ApplyOp(&witnessSlopeOp{shape: t.Shape().Clone(), dt: t.Dtype()}, t, r, g)
}

type witnessSlopeOp struct {
	shape tensor.Shape
	dt    tensor.Dtype
	t     []float64 // scratch
	r, g  []float64
}

func (op *witnessSlopeOp) Arity() int { return 3 }
func (op *witnessSlopeOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(t, t, t, t)
}
func (op *witnessSlopeOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}
func (op *witnessSlopeOp) ReturnsPtr() bool      { return false }
func (op *witnessSlopeOp) CallsExtern() bool     { return false }
func (op *witnessSlopeOp) OverwritesInput() int  { return -1 }
func (op *witnessSlopeOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "witnessSlope@%p", op) }
func (op *witnessSlopeOp) Hashcode() uint32      { return nn.OpHash(op) }
func (op *witnessSlopeOp) String() string        { return "witnessSlope" }

// DiffWRT: h' is piecewise constant in all three inputs.
func (op *witnessSlopeOp) DiffWRT(int) []bool { return []bool{false, false, false} }

func (op *witnessSlopeOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return G.Nodes{nil, nil, nil}, nil
}

func (op *witnessSlopeOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 3 {
		return nil, fmt.Errorf("witness slope: %d inputs", len(vals))
	}
	var in [3]*tensor.Dense
	for i, v := range vals {
		d, ok := v.(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("witness slope: input %d is not a dense tensor", i)
		}
		in[i] = d
	}
	op.t = toFloat64(in[0], op.t)
	op.r = toFloat64(in[1], op.r)
	op.g = toFloat64(in[2], op.g)
	out := make([]float64, len(op.t))
	for i, t := range op.t {
		out[i] = meanSign(t, op.r) - meanSign(t, op.g)
	}
	if op.dt == tensor.Float32 {
		o := make([]float32, len(out))
		for i, v := range out {
			o[i] = float32(v)
		}
		return tensor.New(tensor.WithShape(op.shape...), tensor.WithBacking(o)), nil
	}
	return tensor.New(tensor.WithShape(op.shape...), tensor.WithBacking(out)), nil
}

// meanSign returns the mean of sign(t − x) over x.
func meanSign(t float64, x []float64) float64 {
	s := 0
	for _, v := range x {
		switch {
		case t > v:
			s++
		case t < v:
			s--
		}
	}
	return float64(s) / float64(len(x))
}
