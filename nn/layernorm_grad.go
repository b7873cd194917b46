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

// lnGradOp is LayerNorm's normalisation x̂ or its input gradient as one
// node. For one example (N×D, or any N×... tensor flattened per example)
// with x̂ = (x − μ)·s, s = (σ² + Eps)^(-1/2):
//
//	lnNorm(x) = x̂, whose derivative is lnGrad,
//	lnGrad(x, h) = J·h = s·(h − mean(h) − x̂·mean(h ⊙ x̂)),
//
// J = ∂x̂/∂x being symmetric. Its derivatives, for an upstream gradient u:
//
//	∂⟨u, J·h⟩/∂h = J·u                          (lnGrad again)
//	∂⟨u, J·h⟩/∂x = −(s/D)·(V·x̂ + Q·J·u + P·J·h)  (lnGradX)
//
// with V = ⟨u, J·h⟩, P = Σ u ⊙ x̂, Q = Σ h ⊙ x̂: from ∂s/∂x = −s²·x̂/D and
// ∂x̂/∂x = J. That is what a gradient penalty through a LayerNorm needs
// (second order); lnGradX itself has no derivative. Built from Gorgonia's
// element-wise ops the same expression is ~20 nodes, each a full pass
// with a fresh tensor, and a third of a DCGAN critic step.
type lnGradOp struct {
	arity  int  // 1: lnNorm(x), 2: lnGrad(x, h), 3: lnGradX(x, h, u)
	second bool // lnGradX
	shape  tensor.Shape
	n, d   int
	eps    float64
	dt     tensor.Dtype
	buf    *tensor.Dense
}

// lnNorm returns x̂, each example of x normalised.
func lnNorm(x *G.Node, eps float64) (*G.Node, error) {
	return applyLNGrad(&lnGradOp{arity: 1, eps: eps}, x)
}

// lnGrad returns J·h example by example for x and h of the same shape.
func lnGrad(x, h *G.Node, eps float64) (*G.Node, error) {
	return applyLNGrad(&lnGradOp{arity: 2, eps: eps}, x, h)
}

func applyLNGrad(op *lnGradOp, in ...*G.Node) (*G.Node, error) {
	x := in[0]
	if x.Dims() < 2 {
		return nil, fmt.Errorf("nn: layer norm gradient of shape %v", x.Shape())
	}
	for _, v := range in[1:] {
		if !v.Shape().Eq(x.Shape()) || v.Dtype() != x.Dtype() {
			return nil, fmt.Errorf("nn: layer norm gradient of %v %v and %v %v", x.Shape(), x.Dtype(), v.Shape(), v.Dtype())
		}
	}
	op.shape = x.Shape().Clone()
	op.n, op.d, op.dt = op.shape[0], op.shape.TotalSize()/op.shape[0], x.Dtype()
	op.second = op.arity == 3
	out, err := G.ApplyOp(op, in...)
	if err != nil {
		return nil, fmt.Errorf("nn: layer norm gradient: %w", err)
	}
	return out, nil
}

func (op *lnGradOp) Arity() int { return op.arity }
func (op *lnGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := G.TensorType{Dims: len(op.shape), Of: a}
	ts := make([]hm.Type, op.arity+1)
	for i := range ts {
		ts[i] = t
	}
	return hm.NewFnType(ts...)
}
func (op *lnGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}
func (op *lnGradOp) ReturnsPtr() bool      { return false }
func (op *lnGradOp) CallsExtern() bool     { return false }
func (op *lnGradOp) OverwritesInput() int  { return -1 }
func (op *lnGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s@%p", op, op) }
func (op *lnGradOp) Hashcode() uint32      { return OpHash(op) }
func (op *lnGradOp) String() string {
	return fmt.Sprintf("%s(%d×%d)", [...]string{"", "lnNorm", "lnGrad", "lnGradX"}[op.arity], op.n, op.d)
}

func (op *lnGradOp) DiffWRT(int) []bool {
	d := make([]bool, op.arity)
	for i := range d {
		d[i] = !op.second
	}
	return d
}

func (op *lnGradOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if op.second {
		return nil, fmt.Errorf("nn: %s has no derivative (third order through a LayerNorm)", op)
	}
	if op.arity == 1 {
		dx, err := lnGrad(inputs[0], grad, op.eps)
		if err != nil {
			return nil, err
		}
		return G.Nodes{dx}, nil
	}
	x, h := inputs[0], inputs[1]
	dx, err := applyLNGrad(&lnGradOp{arity: 3, eps: op.eps}, x, h, grad)
	if err != nil {
		return nil, err
	}
	dh, err := lnGrad(x, grad, op.eps)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dh}, nil
}

func (op *lnGradOp) Do(vals ...G.Value) (G.Value, error) {
	return keptDo(op, &op.buf, op.dt, op.shape, vals, op.Arity(), func(_ int, s tensor.Shape) bool { return s.TotalSize() == op.n*op.d },
		func(d []float32, in [][]float32) {
			par.Rows(op.n, op.n*op.d, func(r0, r1 int) { lnGradK(op, d, in, r0, r1) })
		},
		func(d []float64, in [][]float64) {
			par.Rows(op.n, op.n*op.d, func(r0, r1 int) { lnGradK(op, d, in, r0, r1) })
		})
}

// lnGradK computes lnNorm (in = x), lnGrad (in = x, h) or lnGradX (in = x,
// h, u) for rows r0..r1-1, accumulating in float64. The sums run on four
// accumulators (a single one waits for each addition) and the per-row
// constants are divided out before the element loops.
func lnGradK[T float32 | float64](op *lnGradOp, dst []T, in [][]T, r0, r1 int) {
	d := op.d
	fd := float64(d)
	for r := r0; r < r1; r++ {
		x, out := in[0][r*d:(r+1)*d], dst[r*d:(r+1)*d]
		mu := sum4(x) / fd
		s := 1 / math.Sqrt(sumSqDev4(x, mu)/fd+op.eps)
		if op.arity == 1 {
			for i, xi := range x {
				out[i] = T((float64(xi) - mu) * s)
			}
			continue
		}
		h := in[1][r*d : (r+1)*d]
		// Sums of h and h ⊙ x̂ (and of u, u ⊙ x̂, u ⊙ h for lnGradX).
		sh, shx := sumsHX4(h, x, mu, s)
		mh, mhx := sh/fd, shx/fd
		if !op.second {
			for i, hi := range h {
				xh := (float64(x[i]) - mu) * s
				out[i] = T(s * (float64(hi) - mh - xh*mhx))
			}
			continue
		}
		u := in[2][r*d : (r+1)*d]
		su, sux, suh := sumsU4(u, h, x, mu, s)
		mu2, mux := su/fd, sux/fd
		vv := s * (suh - su*mh - sux*mhx) // ⟨u, J·h⟩
		k := -(s / fd)
		for i := range out {
			xh := (float64(x[i]) - mu) * s
			ju := s * (float64(u[i]) - mu2 - xh*mux)
			jh := s * (float64(h[i]) - mh - xh*mhx)
			out[i] = T(k * (vv*xh + shx*ju + sux*jh))
		}
	}
}

// sum4 returns Σ x.
func sum4[T float32 | float64](x []T) float64 {
	var a, b, c, e float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		q := x[i : i+4 : i+4]
		a += float64(q[0])
		b += float64(q[1])
		c += float64(q[2])
		e += float64(q[3])
	}
	for ; i < len(x); i++ {
		a += float64(x[i])
	}
	return (a + b) + (c + e)
}

// sumSqDev4 returns Σ (x − mu)².
func sumSqDev4[T float32 | float64](x []T, mu float64) float64 {
	var a, b, c, e float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		q := x[i : i+4 : i+4]
		d0, d1, d2, d3 := float64(q[0])-mu, float64(q[1])-mu, float64(q[2])-mu, float64(q[3])-mu
		a += d0 * d0
		b += d1 * d1
		c += d2 * d2
		e += d3 * d3
	}
	for ; i < len(x); i++ {
		dv := float64(x[i]) - mu
		a += dv * dv
	}
	return (a + b) + (c + e)
}

// sumsHX4 returns Σ h and Σ h ⊙ x̂ for x̂ = (x − mu)·s.
func sumsHX4[T float32 | float64](h, x []T, mu, s float64) (sh, shx float64) {
	x = x[:len(h)]
	var a0, a1, b0, b1 float64
	i := 0
	for ; i+2 <= len(h); i += 2 {
		h0, h1 := float64(h[i]), float64(h[i+1])
		a0 += h0
		a1 += h1
		b0 += h0 * (float64(x[i]) - mu)
		b1 += h1 * (float64(x[i+1]) - mu)
	}
	for ; i < len(h); i++ {
		a0 += float64(h[i])
		b0 += float64(h[i]) * (float64(x[i]) - mu)
	}
	return a0 + a1, (b0 + b1) * s
}

// sumsU4 returns Σ u, Σ u ⊙ x̂ and Σ u ⊙ h.
func sumsU4[T float32 | float64](u, h, x []T, mu, s float64) (su, sux, suh float64) {
	h, x = h[:len(u)], x[:len(u)]
	var a0, a1, b0, b1, c0, c1 float64
	i := 0
	for ; i+2 <= len(u); i += 2 {
		u0, u1 := float64(u[i]), float64(u[i+1])
		a0 += u0
		a1 += u1
		b0 += u0 * (float64(x[i]) - mu)
		b1 += u1 * (float64(x[i+1]) - mu)
		c0 += u0 * float64(h[i])
		c1 += u1 * float64(h[i+1])
	}
	for ; i < len(u); i++ {
		a0 += float64(u[i])
		b0 += float64(u[i]) * (float64(x[i]) - mu)
		c0 += float64(u[i]) * float64(h[i])
	}
	return a0 + a1, (b0 + b1) * s, c0 + c1
}
