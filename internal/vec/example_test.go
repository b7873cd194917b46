package vec_test

import (
	"fmt"

	"otgen/internal/vec"
)

// The leaky rectifier of slope 0.2 on a few values: SlopeMul(y, x, x, α).
func ExampleSlopeMul() {
	x := []float32{-2, -0.5, 0, 1.5, 3}
	y := make([]float32, len(x))
	vec.SlopeMul(y, x, x, 0.2)
	fmt.Println(y)
	// Output: [-0.4 -0.1 0 1.5 3]
}
