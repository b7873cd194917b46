//go:build !openblas

package nn

// BLAS names the matrix-product library in use: gonum's pure-Go BLAS unless
// otgen is built with -tags openblas.
var BLAS = "gonum (pure Go)"

// BLASWarning returns advice about the BLAS setup, or "" (always "" for
// the pure-Go build).
func BLASWarning() string { return "" }
