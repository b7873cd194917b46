//go:build openblas

package flow

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

// With -tags openblas the benchmarks run the float32 cost products on
// OpenBLAS (the commands would do the same through blas32.Use).
func init() { blas32.Use(netlib.Implementation{}) }
