package nn

import (
	"fmt"
	"hash"
	"math"
	"runtime"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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
			parallelRows(op.n, op.n*op.d, func(r0, r1 int) { lnGradK(op, d, in, r0, r1) })
		},
		func(d []float64, in [][]float64) {
			parallelRows(op.n, op.n*op.d, func(r0, r1 int) { lnGradK(op, d, in, r0, r1) })
		})
}

// parallelRows calls f on bands of the rows [0, n) on GOMAXPROCS
// goroutines when the work (size elements) is large enough to pay for them,
// and on the calling goroutine otherwise. Rows are independent, so the
// result does not depend on the split.
func parallelRows(n, size int, f func(r0, r1 int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if size < 1<<16 || workers <= 1 {
		f(0, n)
		return
	}
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for r0 := per; r0 < n; r0 += per {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(r0, min(n, r0+per))
		}()
	}
	f(0, min(n, per))
	wg.Wait()
}

// parallelBlocks calls f on bands of [0, n) (element-wise work) as
// parallelRows does.
func parallelBlocks(n int, f func(i0, i1 int)) {
	const blk = 4096
	parallelRows((n+blk-1)/blk, n, func(b0, b1 int) { f(b0*blk, min(n, b1*blk)) })
}

// lnGradK computes lnNorm (in = x), lnGrad (in = x, h) or lnGradX (in = x,
// h, u) for rows r0..r1-1, accumulating in float64.
func lnGradK[T float32 | float64](op *lnGradOp, dst []T, in [][]T, r0, r1 int) {
	d := op.d
	fd := float64(d)
	for r := r0; r < r1; r++ {
		x, out := in[0][r*d:(r+1)*d], dst[r*d:(r+1)*d]
		var mu, v float64
		for _, xi := range x {
			mu += float64(xi)
		}
		mu /= fd
		for _, xi := range x {
			c := float64(xi) - mu
			v += c * c
		}
		s := 1 / math.Sqrt(v/fd+op.eps)
		if op.arity == 1 {
			for i, xi := range x {
				out[i] = T((float64(xi) - mu) * s)
			}
			continue
		}
		h := in[1][r*d : (r+1)*d]
		// Sums of h and h ⊙ x̂ (and of u, u ⊙ x̂, u ⊙ h for lnGradX).
		var sh, shx float64
		for i, hi := range h {
			sh += float64(hi)
			shx += float64(hi) * (float64(x[i]) - mu) * s
		}
		if !op.second {
			for i, hi := range h {
				xh := (float64(x[i]) - mu) * s
				out[i] = T(s * (float64(hi) - sh/fd - xh*shx/fd))
			}
			continue
		}
		u := in[2][r*d : (r+1)*d]
		var su, sux, suh float64
		for i, ui := range u {
			xh := (float64(x[i]) - mu) * s
			su += float64(ui)
			sux += float64(ui) * xh
			suh += float64(ui) * float64(h[i])
		}
		vv := s * (suh - su*sh/fd - sux*shx/fd) // ⟨u, J·h⟩
		for i := range out {
			xh := (float64(x[i]) - mu) * s
			ju := s * (float64(u[i]) - su/fd - xh*sux/fd)
			jh := s * (float64(h[i]) - sh/fd - xh*shx/fd)
			out[i] = T(-(s / fd) * (vv*xh + shx*ju + sux*jh))
		}
	}
}
