package sgemm

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is gonum's pure-Go BLAS with a faster Sgemm. Every other
// routine, float64 ones included, is gonum's. It satisfies blas.Float32,
// blas.Float64 and Gorgonia's BLAS interface; the zero value is ready to
// use.
type Implementation struct{ gonum.Implementation }

var _ blas.Float32 = Implementation{}

// Panic strings of the argument checks, the same as gonum's and netlib's.
const (
	badTranspose = "blas: illegal transpose"
	mLT0         = "blas: m < 0"
	nLT0         = "blas: n < 0"
	kLT0         = "blas: k < 0"
	badLdA       = "blas: bad leading dimension of A"
	badLdB       = "blas: bad leading dimension of B"
	badLdC       = "blas: bad leading dimension of C"
	shortA       = "blas: insufficient length of a"
	shortB       = "blas: insufficient length of b"
	shortC       = "blas: insufficient length of c"
)

// Sgemm computes
//
//	C = alpha·op(A)·op(B) + beta·C
//
// for row-major matrices, op(X) being X or Xᵀ as tA and tB say (ConjTrans
// is Trans), op(A) m×k, op(B) k×n and C m×n, with leading dimensions lda,
// ldb and ldc. As in reference BLAS, C is not read when beta is 0 (NaN in C
// is overwritten), and A and B are not read when alpha or k is 0. Bad
// arguments panic with gonum's messages.
//
// The product runs on the SIMD kernel Kernel names, on all GOMAXPROCS
// threads when it is large enough, and on gonum's Sgemm when Kernel is
// "gonum".
func (Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	kern := active
	if kern == nil {
		gonum.Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	switch tA {
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	default:
		panic(badTranspose)
	}
	switch tB {
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	default:
		panic(badTranspose)
	}
	if m < 0 {
		panic(mLT0)
	}
	if n < 0 {
		panic(nLT0)
	}
	if k < 0 {
		panic(kLT0)
	}
	aT := tA != blas.NoTrans
	bT := tB != blas.NoTrans
	if aT && lda < max(1, m) || !aT && lda < max(1, k) {
		panic(badLdA)
	}
	if bT && ldb < max(1, k) || !bT && ldb < max(1, n) {
		panic(badLdB)
	}
	if ldc < max(1, n) {
		panic(badLdC)
	}
	if m == 0 || n == 0 {
		return
	}
	if aT && len(a) < (k-1)*lda+m || !aT && len(a) < (m-1)*lda+k {
		panic(shortA)
	}
	if bT && len(b) < (n-1)*ldb+k || !bT && len(b) < (k-1)*ldb+n {
		panic(shortB)
	}
	if len(c) < (m-1)*ldc+n {
		panic(shortC)
	}
	if alpha == 0 || k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	j := jobs.Get().(*job)
	j.p = problem{aT: aT, bT: bT, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	gemm(kern, j)
	j.p = problem{} // drop the references to the caller's slices
	jobs.Put(j)
}

// scale sets C = beta·C, writing zeros when beta is 0.
func scale(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
