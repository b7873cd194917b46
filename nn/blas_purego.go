//go:build !openblas

package nn

// BLAS names the matrix-product library in use: gonum's pure-Go BLAS unless
// otgen is built with -tags openblas.
var BLAS = "gonum (pure Go)"

// BLASWarning returns advice about the BLAS setup, or "" (always "" for
// the pure-Go build).
func BLASWarning() string { return "" }

// ReexecWithFastBLAS does nothing in the pure-Go build (see the openblas
// build's version, which restarts the program with OPENBLAS_CORETYPE set
// when OpenBLAS chose slow kernels for the CPU).
func ReexecWithFastBLAS() error { return nil }
