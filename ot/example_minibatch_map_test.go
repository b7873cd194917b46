package ot_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"otgen/ot"
)

func ExampleMinibatchBarycentricMap() {
	// 6 points on a line, mapped to the same points shifted by 10. With
	// minibatches of 3 and "epoch-x" sampling, 2 pairs draw every source
	// point once, and each is sent to its partner in its minibatch.
	X := mat.NewDense(6, 1, []float64{0, 1, 2, 3, 4, 5})
	Y := mat.NewDense(6, 1, []float64{10, 11, 12, 13, 14, 15})
	res, err := ot.MinibatchBarycentricMap(X, Y, &ot.MinibatchOptions{M: 3, K: 2, Seed: 1, Sampling: "epoch-x"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("covered:", res.Covered)
	full, _ := ot.MinibatchBarycentricMap(X, Y, &ot.MinibatchOptions{M: 6, K: 1}, nil)
	fmt.Printf("m = n is exact OT: %.6g\n", mat.Formatted(full.Map.T()))
	// Output:
	// covered: 6
	// m = n is exact OT: [10  11  12  13  14  15]
}
