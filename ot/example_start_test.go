package ot_test

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"otgen/ot"
)

func ExampleSinkhornDivergence() {
	// A cloud and the same cloud shifted by (1, 0): the divergence is
	// zero between a cloud and itself (it is debiased), and close to the
	// unregularised W2² = 1 of the shift when eps is small.
	X := mat.NewDense(4, 2, []float64{0, 0, 0, 1, 1, 0, 1, 1})
	Y := mat.NewDense(4, 2, []float64{1, 0, 1, 1, 2, 0, 2, 1})
	shift, err := ot.SinkhornDivergence(X, Y, nil, nil, 0.01, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	self, _ := ot.SinkhornDivergence(X, X, nil, nil, 0.01, nil)
	fmt.Printf("S(X, X+c) = %.3f, S(X, X) = %.3f\n", shift.Value, math.Abs(self.Value))
	// The gradient moves each x towards its partner y = x + (1, 0).
	fmt.Printf("gradient at x_0: %.3f along the shift, below 1e-12 across: %v\n", shift.GradX.At(0, 0), math.Abs(shift.GradX.At(0, 1)) < 1e-12)
	// Output:
	// S(X, X+c) = 1.000, S(X, X) = 0.000
	// gradient at x_0: -0.500 along the shift, below 1e-12 across: true
}

func ExampleWasserstein1D() {
	// W_1 between two uniform measures on three points is the mean
	// distance between the sorted points; W_2² the mean squared distance.
	x := []float64{3, 0, 1}
	y := []float64{5, 2, 1}
	w1, _ := ot.Wasserstein1D(x, y, nil, nil, 1)
	w2, _ := ot.Wasserstein1D(x, y, nil, nil, 2)
	fmt.Printf("W1 = %.4f, W2² = %.4f\n", w1, w2)
	// Output:
	// W1 = 1.3333, W2² = 2.0000
}

func ExampleMinibatchPlan() {
	// Eight points and their shifted copies: each minibatch plan pairs the
	// points of its two minibatches, and the estimator of Fatras et al.
	// (eq. 6) averages them. Its marginals are the uniform weights 1/8 in
	// expectation; its mass is 1 exactly.
	X := mat.NewDense(8, 1, []float64{0, 1, 2, 3, 4, 5, 6, 7})
	Y := mat.NewDense(8, 1, []float64{0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5})
	res, err := ot.MinibatchPlan(X, Y, &ot.MinibatchOptions{M: 4, K: 500, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	mass, worst := 0.0, 0.0
	for _, r := range res.Rows {
		mass += r
		worst = math.Max(worst, math.Abs(r-1.0/8))
	}
	fmt.Printf("mass %.3f, row marginals within %.2f of 1/8\n", mass, math.Ceil(worst*100)/100)
	// The minibatch value pays for the random draws: it is far above the
	// full problem's W2² = 0.25 (Fatras et al.'s bias).
	fmt.Printf("%d of 64 entries non-zero, value %.2f\n", len(res.Plan.Entries), res.Value)
	// Output:
	// mass 1.000, row marginals within 0.01 of 1/8
	// 52 of 64 entries non-zero, value 2.80
}
