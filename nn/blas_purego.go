//go:build !openblas

package nn

// BLAS names the matrix-product library in use: gonum's pure-Go BLAS unless
// otgen is built with -tags openblas.
const BLAS = "gonum (pure Go)"
