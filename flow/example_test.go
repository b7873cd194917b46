package flow_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"otgen/flow"
)

func ExampleRun() {
	// 100 particles on a vertical segment at x = 0 flow to a vertical
	// segment at x = 3.
	X := mat.NewDense(100, 2, nil)
	Y := mat.NewDense(100, 2, nil)
	for i := 0; i < 100; i++ {
		X.Set(i, 1, float64(i)/100)
		Y.Set(i, 0, 3)
		Y.Set(i, 1, float64(i)/100)
	}
	losses, err := flow.Run(X, Y, flow.Options{M: 20, K: 10, Steps: 20, LR: 0.1, Seed: 1}, func(s flow.State) error {
		if s.Step%10 == 0 {
			fmt.Printf("step %2d: loss %.3f, mean x %.2f\n", s.Step, s.Loss, mat.Sum(s.X.ColView(0))/100)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(losses), "losses")
	// Output:
	// step  0: loss 9.012, mean x 0.00
	// step 10: loss 0.113, mean x 2.68
	// step 20: loss 0.013, mean x 2.97
	// 21 losses
}
