//go:build openblas

package nn

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	G "gorgonia.org/gorgonia"
	"gonum.org/v1/netlib/blas/netlib"
)

// BLAS names the matrix-product library in use.
const BLAS = "OpenBLAS (cgo, -tags openblas)"

func init() { G.Use(netlib.Implementation{}) }
