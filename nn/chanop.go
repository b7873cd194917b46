package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// chanOp is a per-channel scale (and shift) of an N×C×... tensor, or its
// derivative in the scale, as one pass into a kept buffer:
//
//	chanAffine(v, γ [, β])[n, c, …] = v[n, c, …]·γ[c] (+ β[c])
//	chanAdd(v, β)[n, c, …] = v[n, c, …] + β[c]
//	chanDot(u, v)[c] = Σ_{n, …} u[n, c, …]·v[n, c, …]
//
// All are linear in each argument; the derivatives of chanAffine are
// chanAffine(grad, γ), chanDot(grad, v) and chanSum(grad), those of chanAdd
// grad itself and chanSum(grad), those of chanDot chanAffine(v, grad) and
// chanAffine(u, grad), so gradients of every order exist. Gorgonia's
// HadamardProd with a broadcast γ allocates the product and, in its
// gradients, two more full tensors per run; its BroadcastAdd allocates the
// sum and the repeated bias.
type chanOp struct {
	dot   bool // chanDot
	noMul bool // chanAdd: no γ
	bias  bool // a β
	shape tensor.Shape
	dt    tensor.Dtype
	buf   *tensor.Dense
}

// chanAdd returns v + β[c].
func chanAdd(v, beta *G.Node) (*G.Node, error) {
	return applyChan(&chanOp{noMul: true, bias: true}, v, beta)
}

func (op *chanOp) c() int { return op.shape[1] }

// chanAffine returns v·γ[c] (+ β[c] when beta is not nil).
func chanAffine(v, gamma, beta *G.Node) (*G.Node, error) {
	if beta == nil {
		return applyChan(&chanOp{}, v, gamma)
	}
	return applyChan(&chanOp{bias: true}, v, gamma, beta)
}

func applyChan(op *chanOp, in ...*G.Node) (*G.Node, error) {
	v := in[0]
	if v.Dims() < 2 {
		return nil, fmt.Errorf("nn: per-channel op on shape %v", v.Shape())
	}
	op.shape, op.dt = v.Shape().Clone(), v.Dtype()
	return applyChecked(op, op.dt, func(i int) tensor.Shape {
		if op.dot && i == 1 {
			return op.shape
		}
		return tensor.Shape{op.c()}
	}, in...)
}

func (op *chanOp) Arity() int {
	if op.bias && !op.noMul {
		return 3
	}
	return 2
}

func (op *chanOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	big := G.TensorType{Dims: len(op.shape), Of: a}
	vec := G.TensorType{Dims: 1, Of: a}
	switch {
	case op.dot:
		return hm.NewFnType(big, big, vec)
	case op.noMul:
		return hm.NewFnType(big, vec, big)
	case op.bias:
		return hm.NewFnType(big, vec, vec, big)
	}
	return hm.NewFnType(big, vec, big)
}

func (op *chanOp) resShape() tensor.Shape {
	if op.dot {
		return tensor.Shape{op.c()}
	}
	return op.shape.Clone()
}

func (op *chanOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.resShape(), nil }
func (op *chanOp) ReturnsPtr() bool                               { return false }
func (op *chanOp) CallsExtern() bool                              { return false }
func (op *chanOp) OverwritesInput() int                           { return -1 }
func (op *chanOp) WriteHash(h hash.Hash)                          { fmt.Fprintf(h, "%s@%p", op, op) }
func (op *chanOp) Hashcode() uint32                               { return OpHash(op) }
func (op *chanOp) String() string {
	if op.dot {
		return fmt.Sprintf("chanDot%v", op.shape)
	}
	if op.noMul {
		return fmt.Sprintf("chanAdd%v", op.shape)
	}
	return fmt.Sprintf("chanAffine%v", op.shape)
}
func (op *chanOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

func (op *chanOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	a, b := inputs[0], inputs[1]
	out := make(G.Nodes, len(inputs))
	var err error
	if op.dot { // c = chanDot(a, b)
		if out[0], err = chanAffine(b, grad, nil); err == nil {
			out[1], err = chanAffine(a, grad, nil)
		}
		return out, err
	}
	if op.noMul { // y = chanAdd(a, β)
		out[0] = grad
		out[1], err = applyLin(grad.Graph(), kChanSum, grad, grad.Shape().Clone(), tensor.Shape{op.c()})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	// y = chanAffine(a, b [, β])
	if out[0], err = chanAffine(grad, b, nil); err != nil {
		return nil, err
	}
	if out[1], err = applyChan(&chanOp{dot: true}, grad, a); err != nil {
		return nil, err
	}
	if op.bias {
		if out[2], err = applyLin(grad.Graph(), kChanSum, grad, grad.Shape().Clone(), tensor.Shape{op.c()}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (op *chanOp) Do(vals ...G.Value) (G.Value, error) {
	return keptDo(op, &op.buf, op.dt, op.resShape(), vals, op.Arity(), nil,
		func(d []float32, in [][]float32) { chanK(op, d, in) },
		func(d []float64, in [][]float64) { chanK(op, d, in) })
}

func chanK[T float32 | float64](op *chanOp, dst []T, in [][]T) {
	c := op.c()
	inner := op.shape.TotalSize() / (op.shape[0] * c)
	if op.dot {
		u, v := in[0], in[1]
		for ch := range dst {
			var s float64
			for n := 0; n < op.shape[0]; n++ {
				o := (n*c + ch) * inner
				var t T
				for i, ui := range u[o : o+inner] {
					t += ui * v[o+i]
				}
				s += float64(t)
			}
			dst[ch] = T(s)
		}
		return
	}
	v, gm := in[0], in[1]
	if op.noMul {
		for n := 0; n < op.shape[0]; n++ {
			for ch, b := range gm {
				o := (n*c + ch) * inner
				d, s := dst[o:o+inner], v[o:o+inner]
				for i, x := range s {
					d[i] = x + b
				}
			}
		}
		return
	}
	for n := 0; n < op.shape[0]; n++ {
		for ch := 0; ch < c; ch++ {
			o := (n*c + ch) * inner
			d, s, k := dst[o:o+inner], v[o:o+inner], gm[ch]
			if op.bias {
				b := in[2][ch]
				for i, x := range s {
					d[i] = x*k + b
				}
				continue
			}
			for i, x := range s {
				d[i] = x * k
			}
		}
	}
}
