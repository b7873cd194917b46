package ot_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"otgen/ot"
)

func ExampleSinkhorn() {
	// Two points to two points, unit squared-distance between the pairs.
	X := mat.NewDense(2, 1, []float64{0, 1})
	Y := mat.NewDense(2, 1, []float64{0.1, 1.1})
	M, _ := ot.Cost(X, Y, 2)
	res, err := ot.Sinkhorn(nil, nil, M, 0.01, &ot.SinkhornOptions{Plan: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("cost %.4f, marginal error below 1e-9: %v\n", res.Cost, res.Log.MarginalError <= 1e-9)
	fmt.Printf("plan\n%.4f\n", mat.Formatted(res.Plan))
	// Output:
	// cost 0.0100, marginal error below 1e-9: true
	// plan
	// ⎡0.5000  0.0000⎤
	// ⎣0.0000  0.5000⎦
}

func ExampleSlicedWasserstein() {
	X := mat.NewDense(4, 2, []float64{0, 0, 1, 0, 0, 1, 1, 1})
	Y := mat.NewDense(4, 2, []float64{2, 0, 3, 0, 2, 1, 3, 1}) // X shifted by (2, 0)
	sw, _ := ot.SlicedWasserstein(X, Y, nil, nil, 1000, 2, 42)
	self, _ := ot.SlicedWasserstein(X, X, nil, nil, 1000, 2, 42)
	// A shift by c gives SW_2 = |c| sqrt(mean cos²) ≈ |c|/sqrt(2) in 2-D.
	fmt.Printf("SW2(X, X+c) = %.1f, SW2(X, X) = %.1f\n", sw, self)
	// Output:
	// SW2(X, X+c) = 1.4, SW2(X, X) = 0.0
}

func ExampleMinibatchWasserstein() {
	// 8 points on a line and the same points shifted by 1: every
	// minibatch pair of size 4 pays at least a shift...
	X := mat.NewDense(8, 1, []float64{0, 1, 2, 3, 4, 5, 6, 7})
	Y := mat.NewDense(8, 1, []float64{1, 2, 3, 4, 5, 6, 7, 8})
	full, _ := ot.MinibatchWasserstein(X, Y, &ot.MinibatchOptions{M: 8, K: 1})
	mb, _ := ot.MinibatchWasserstein(X, Y, &ot.MinibatchOptions{M: 4, K: 200, Seed: 1, Grad: true})
	fmt.Printf("full batch W2² = %.2f\n", full.Value)
	fmt.Printf("minibatch estimate is larger: %v\n", mb.Value > full.Value)
	r, c := mb.GradX.Dims()
	fmt.Println("gradient shape", r, c)
	// Output:
	// full batch W2² = 1.00
	// minibatch estimate is larger: true
	// gradient shape 8 1
}
