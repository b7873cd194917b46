package sgemm_test

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"otgen/sgemm"
)

// Sgemm called directly, on row-major slices: C = A·Bᵀ.
func ExampleImplementation_Sgemm() {
	a := []float32{ // 2×3
		1, 2, 3,
		4, 5, 6,
	}
	b := []float32{ // 2×3, used transposed
		1, 0, 1,
		0, 1, 0,
	}
	c := make([]float32, 2*2)
	sgemm.Implementation{}.Sgemm(blas.NoTrans, blas.Trans, 2, 2, 3, 1, a, 3, b, 3, 0, c, 2)
	fmt.Println(c)
	// Output: [4 2 10 5]
}

// Installed as gonum's blas32 implementation, so that blas32.Gemm (and
// anything built on it) uses it.
func Example_blas32() {
	blas32.Use(sgemm.Implementation{})
	a := blas32.General{Rows: 2, Cols: 2, Stride: 2, Data: []float32{1, 2, 3, 4}}
	c := blas32.General{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4)}
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, a, a, 0, c)
	fmt.Println(c.Data)
	// Output: [7 10 15 22]
}
