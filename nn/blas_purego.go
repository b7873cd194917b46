//go:build !openblas

package nn

import (
	"gonum.org/v1/gonum/blas/blas32"
	G "gorgonia.org/gorgonia"

	"otgen/sgemm"
)

// BLAS names the matrix-product library in use: otgen's pure-Go sgemm
// (Go assembly kernels for AVX-512 or AVX2 on amd64, gonum's Sgemm
// elsewhere; every other BLAS routine is gonum's) unless otgen is built
// with -tags openblas.
var BLAS = blasName()

// init makes Gorgonia (and its tensor package) and gonum's blas32 use
// otgen/sgemm for float32 matrix products; the float64 routines stay
// gonum's.
func init() {
	impl := sgemm.Implementation{}
	G.Use(impl)
	blas32.Use(impl)
}

// convSgemm is the float32 product of the convolution ops: otgen/sgemm,
// as for every float32 product of this build.
var convSgemm = sgemm.Implementation{}.Sgemm

// splitGemm tells gemmOp whether to split large products over goroutines:
// not here, otgen/sgemm does it itself.
const splitGemm = false

func blasName() string {
	switch sgemm.Kernel() {
	case "avx512":
		return "otgen sgemm (Go assembly, AVX-512)"
	case "avx2":
		return "otgen sgemm (Go assembly, AVX2)"
	default:
		return "gonum (pure Go)" // no kernel for this CPU, or OTGEN_SGEMM=gonum
	}
}

// BLASWarning returns advice about the BLAS setup, or "" (always "" for
// the pure-Go build).
func BLASWarning() string { return "" }

// ReexecWithFastBLAS does nothing in the pure-Go build (see the openblas
// build's version, which restarts the program with OPENBLAS_CORETYPE set
// when OpenBLAS chose slow kernels for the CPU).
func ReexecWithFastBLAS() error { return nil }
