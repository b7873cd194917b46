//go:build openblas

package nn

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// BLAS names the matrix-product library in use.
const BLAS = "OpenBLAS (cgo, -tags openblas)"

func init() { G.Use(netlib.Implementation{}) }
