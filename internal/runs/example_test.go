package runs_test

import (
	"fmt"

	"otgen/internal/runs"
)

// Two examples of two runs of three values, four values apart in the
// strided block and ten apart between examples, gathered into a packed
// block and added back.
func Example() {
	strided := make([]float32, 17)
	for i := range strided {
		strided[i] = float32(i)
	}
	l := runs.Layout{NB: 2, Stride: 10, OH: 2, OW: 3, Pitch: 4}
	packed := make([]float32, 12)
	runs.Copy(packed, strided, l)
	fmt.Println(packed)
	runs.Add(strided, packed, l)
	fmt.Println(strided)
	// Output:
	// [0 1 2 4 5 6 10 11 12 14 15 16]
	// [0 2 4 3 8 10 12 7 8 9 20 22 24 13 28 30 32]
}
