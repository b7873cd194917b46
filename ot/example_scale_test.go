package ot_test

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"otgen/ot"
)

// One call for every solver: weights and a cost matrix (Solve) or two
// point clouds (SolveSample), the method chosen by size and weights.
func ExampleSolveSample() {
	X := mat.NewDense(3, 2, []float64{0, 0, 1, 0, 0, 1})
	Y := mat.NewDense(3, 2, []float64{2, 0, 3, 0, 2, 1}) // X shifted by (2, 0)
	exact, _ := ot.SolveSample(X, Y, nil, nil, nil)
	fmt.Printf("%s: W2² = %.4f\n", exact.Method, exact.Value)

	entropic, _ := ot.SolveSample(X, Y, nil, nil, &ot.SolveOptions{Reg: 0.5})
	fmt.Printf("%s: OT_eps = %.4f, <P, C> = %.4f, converged %v\n",
		entropic.Method, entropic.Value, entropic.ValueLinear, entropic.Converged)

	online, _ := ot.SolveSample(X, Y, nil, nil, &ot.SolveOptions{Method: ot.MethodOnline, Reg: 0.5,
		Sinkhorn: &ot.SinkhornOptions{Tol: 1e-6}})
	fmt.Printf("%s: OT_eps = %.4f\n", online.Method, online.Value)
	// Output:
	// assignment: W2² = 4.0000
	// sinkhorn: OT_eps = 4.4618, <P, C> = 4.1699, converged true
	// online: OT_eps = 4.4618
}

// The Sinkhorn divergence between two clouds of 5,000 points without a
// cost matrix (the three would hold 7.5·10^7 entries), and its gradient.
func ExampleSinkhornDivergenceOnline() {
	const n, d = 5000, 3
	X := ot.Points32{N: n, D: d, Data: make([]float32, n*d)}
	Y := ot.Points32{N: n, D: d, Data: make([]float32, n*d)}
	for i := 0; i < n; i++ {
		for k := 0; k < d; k++ {
			// two grids of points on a helix, Y shifted by 0.5 along x
			t := float64(i) / n * 4 * math.Pi
			c := []float64{math.Cos(t), math.Sin(t), t / 10}[k]
			X.Data[i*d+k] = float32(c)
			Y.Data[i*d+k] = float32(c)
			if k == 0 {
				Y.Data[i*d+k] += 0.5
			}
		}
	}
	res, err := ot.SinkhornDivergenceOnline(X, Y, nil, nil, 0.05, &ot.SinkhornOptions{Tol: 1e-4})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A shift by c: S ≈ |c|² = 0.25, and the gradient of S with respect
	// to a point of weight 1/n is about 2(x - T(x))/n = -2c/n.
	g := res.GradX.RawRowView(n / 2)
	r := func(v float64) float64 { return math.Round(v*100)/100 + 0 } // +0: no "-0.00"
	fmt.Printf("S = %.2f, n·∇_x S at a middle point = (%.2f, %.2f, %.2f)\n", res.Value, r(n*g[0]), r(n*g[1]), r(n*g[2]))
	// Output:
	// S = 0.25, n·∇_x S at a middle point = (-1.00, 0.00, 0.00)
}

// Unbalanced transport (GeomLoss's reach): a target with twice the mass
// and an outlier far away. The outlier gets little mass, and the plan's
// marginals are pulled towards, not onto, the weights.
func ExampleSinkhorn_unbalanced() {
	X := mat.NewDense(2, 1, []float64{0, 1})
	Y := mat.NewDense(3, 1, []float64{0, 1, 10})
	C, _ := ot.Cost(X, Y, 2)
	a := []float64{0.5, 0.5}
	b := []float64{1, 0.8, 0.2}
	res, err := ot.Sinkhorn(a, b, C, 0.01, &ot.SinkhornOptions{Reach: 1, Plan: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("plan\n%.3f\n", mat.Formatted(res.Plan))
	// Output:
	// plan
	// ⎡0.706  0.000  0.000⎤
	// ⎣0.000  0.631  0.000⎦
}
