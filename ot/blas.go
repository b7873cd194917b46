package ot

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"otgen/sgemm"
)

// gemm32 computes c = alpha·op(a)·op(b) + beta·c with otgen/sgemm (AVX-512
// or AVX2 Go assembly, gonum's kernel on other CPUs), called directly so
// that ot's large float32 products run at that speed whatever BLAS the
// program installed globally (a program using ot alone installs none).
func gemm32(tA, tB blas.Transpose, alpha float32, a, b blas32.General, beta float32, c blas32.General) {
	k := a.Cols
	if tA != blas.NoTrans {
		k = a.Rows
	}
	sgemm.Implementation{}.Sgemm(tA, tB, c.Rows, c.Cols, k, alpha, a.Data, a.Stride, b.Data, b.Stride, beta, c.Data, c.Stride)
}
