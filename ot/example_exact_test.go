package ot_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"otgen/ot"
)

func ExampleCost() {
	X := mat.NewDense(2, 2, []float64{0, 0, 1, 1})
	Y := mat.NewDense(3, 2, []float64{0, 0, 3, 0, 1, 2})
	C, err := ot.Cost(X, Y, 2) // squared Euclidean
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(mat.Formatted(C))
	D, _ := ot.Cost(X, Y, 1) // Euclidean
	fmt.Printf("%.4f\n", mat.Formatted(D))
	// Output:
	// ⎡0  9  5⎤
	// ⎣2  5  1⎦
	// ⎡0.0000  3.0000  2.2361⎤
	// ⎣1.4142  2.2361  1.0000⎦
}

func ExampleEMD() {
	// Two sources and three targets on a line, cost |x - y|.
	a := []float64{0.5, 0.5}
	b := []float64{0.25, 0.25, 0.5}
	M := mat.NewDense(2, 3, []float64{
		0, 1, 2,
		2, 1, 0,
	})
	res, err := ot.EMD(a, b, M, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range res.Plan.Entries {
		fmt.Printf("%d -> %d: %.2f\n", e.I, e.J, e.W)
	}
	fmt.Printf("cost %.2f\n", res.Cost)
	// Output:
	// 0 -> 0: 0.25
	// 0 -> 1: 0.25
	// 1 -> 2: 0.50
	// cost 0.25
}

func ExampleAssignment() {
	M := mat.NewDense(3, 3, []float64{
		4, 1, 3,
		2, 0, 5,
		3, 2, 2,
	})
	res, err := ot.Assignment(M)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Perm, res.Cost)
	// Output:
	// [1 0 2] 5
}
