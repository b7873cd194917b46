package nn

import (
	"fmt"
	"hash"
	"runtime"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gemmOp computes op(A)·op(B) with one BLAS gemm call, op being the
// identity or the transpose as the flags say. Gorgonia's Mul materialises
// every transpose its gradients need (xᵀ·dY, dY·Wᵀ) through a generic
// iterator, 13% of a WGAN-GP iteration; the gemm flags make them free. Its
// derivatives are gemm nodes again, so gradients of any order exist:
//
//	C = A·B:    dA = dC·Bᵀ,   dB = Aᵀ·dC
//	C = A·Bᵀ:   dA = dC·B,    dB = dCᵀ·A
//	C = Aᵀ·B:   dA = B·dCᵀ,   dB = A·dC
//	C = Aᵀ·Bᵀ:  dA = Bᵀ·dCᵀ,  dB = dCᵀ·Aᵀ
//
// The product runs on the BLAS Gorgonia uses (G.WhichBLAS: gonum's pure-Go
// one, or OpenBLAS with the openblas build tag), into a buffer the op keeps
// from run to run.
type gemmOp struct {
	transA, transB bool
	m, n, k        int // C is m×n, the inner dimension k
	dt             tensor.Dtype
	buf            *tensor.Dense
}

// gemm returns op(a)·op(b) for matrices a and b.
func gemm(a, b *G.Node, transA, transB bool) (*G.Node, error) {
	if a.Dims() != 2 || b.Dims() != 2 || a.Dtype() != b.Dtype() {
		return nil, fmt.Errorf("nn: matrix product of %v %v and %v %v", a.Shape(), a.Dtype(), b.Shape(), b.Dtype())
	}
	m, ka := a.Shape()[0], a.Shape()[1]
	if transA {
		m, ka = ka, m
	}
	kb, n := b.Shape()[0], b.Shape()[1]
	if transB {
		kb, n = n, kb
	}
	if ka != kb {
		return nil, fmt.Errorf("nn: matrix product of %v%s and %v%s: inner sizes %d and %d", a.Shape(), tmark(transA), b.Shape(), tmark(transB), ka, kb)
	}
	op := &gemmOp{transA: transA, transB: transB, m: m, n: n, k: ka, dt: a.Dtype()}
	c, err := G.ApplyOp(op, a, b)
	if err != nil {
		return nil, fmt.Errorf("nn: matrix product: %w", err)
	}
	return c, nil
}

func tmark(t bool) string {
	if t {
		return "ᵀ"
	}
	return ""
}

func (op *gemmOp) Arity() int { return 2 }
func (op *gemmOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(t, t, t)
}
func (op *gemmOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.m, op.n}, nil
}
func (op *gemmOp) ReturnsPtr() bool      { return false }
func (op *gemmOp) CallsExtern() bool     { return false }
func (op *gemmOp) OverwritesInput() int  { return -1 }
func (op *gemmOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s@%p", op, op) }
func (op *gemmOp) Hashcode() uint32      { return OpHash(op) }
func (op *gemmOp) String() string {
	return fmt.Sprintf("gemm(A%s·B%s→%d×%d)", tmark(op.transA), tmark(op.transB), op.m, op.n)
}
func (op *gemmOp) DiffWRT(int) []bool { return []bool{true, true} }

func (op *gemmOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	a, b := inputs[0], inputs[1]
	var da, db *G.Node
	var err error
	switch {
	case !op.transA && !op.transB:
		if da, err = gemm(grad, b, false, true); err == nil {
			db, err = gemm(a, grad, true, false)
		}
	case !op.transA && op.transB:
		if da, err = gemm(grad, b, false, false); err == nil {
			db, err = gemm(grad, a, true, false)
		}
	case op.transA && !op.transB:
		if da, err = gemm(b, grad, false, true); err == nil {
			db, err = gemm(a, grad, false, false)
		}
	default:
		if da, err = gemm(b, grad, true, true); err == nil {
			db, err = gemm(grad, a, true, true)
		}
	}
	if err != nil {
		return nil, err
	}
	return G.Nodes{da, db}, nil
}

func (op *gemmOp) Do(vals ...G.Value) (G.Value, error) {
	size := [2]int{op.m * op.k, op.k * op.n}
	lda, ldb := op.k, op.n
	if op.transA {
		lda = op.m
	}
	if op.transB {
		ldb = op.k
	}
	return keptDo(op, &op.buf, op.dt, tensor.Shape{op.m, op.n}, vals, 2, func(i int, s tensor.Shape) bool { return s.TotalSize() == size[i] },
		func(c []float32, in [][]float32) { bandGemm(op, in[0], lda, in[1], ldb, c) },
		func(c []float64, in [][]float64) { bandGemm(op, in[0], lda, in[1], ldb, c) })
}

// minSplitMACs is the size of product, in multiply-adds, from which
// bandGemm splits it over goroutines.
const minSplitMACs = 1 << 21

// bandGemm computes C = op(A)·op(B) into c, in bands of rows of C on
// GOMAXPROCS goroutines when splitGemm is set and the product is large (a
// fixed split: the result does not depend on scheduling).
func bandGemm[T float32 | float64](op *gemmOp, a []T, lda int, b []T, ldb int, c []T) {
	workers := 1
	if splitGemm && op.m*op.n*op.k >= minSplitMACs {
		workers = min(runtime.GOMAXPROCS(0), op.m)
	}
	if workers <= 1 {
		gemmT(op.transA, op.transB, op.m, op.n, op.k, a, lda, b, ldb, 0, c, op.n)
		return
	}
	per := (op.m + workers - 1) / workers
	var wg sync.WaitGroup
	for i0 := 0; i0 < op.m; i0 += per {
		rows := min(per, op.m-i0)
		var ab []T
		if op.transA {
			ab = a[i0:] // columns i0… of the storage of Aᵀ
		} else {
			ab = a[i0*lda:] // rows i0… of A
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			gemmT(op.transA, op.transB, rows, op.n, op.k, ab, lda, b, ldb, 0, c[i0*op.n:], op.n)
		}()
	}
	wg.Wait()
}
