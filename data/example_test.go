package data_test

import (
	"bytes"
	"fmt"
	"log"
	"math"

	"otgen/data"
)

// Draw seeded batches of the 8-Gaussians toy into one reused buffer, and
// find the mode each point belongs to.
func ExampleEightGaussians() {
	const batch = 4
	b, err := data.NewStreamBatcher(data.EightGaussians(), batch, 1)
	if err != nil {
		log.Fatal(err)
	}
	modes := data.EightGaussiansModes()
	dst := make([]float32, batch*2) // batch points of Shape [2]
	for range 2 {
		if err := b.Next(dst); err != nil {
			log.Fatal(err)
		}
		for k := 0; k < batch; k++ {
			x, y := float64(dst[2*k]), float64(dst[2*k+1])
			best, dist := 0, math.Inf(1)
			for i, m := range modes {
				if d := math.Hypot(x-m[0], y-m[1]); d < dist {
					best, dist = i, d
				}
			}
			fmt.Printf("(%6.3f, %6.3f) mode %d, %.1f std away\n", x, y, best, dist/data.EightGaussiansStd)
		}
	}
	// Output:
	// ( 0.998, -1.004) mode 5, 0.3 std away
	// ( 1.379,  0.008) mode 0, 2.6 std away
	// (-1.006, -1.010) mode 7, 0.8 std away
	// (-1.384,  0.004) mode 1, 2.2 std away
	// ( 0.989, -0.976) mode 5, 1.9 std away
	// (-0.008, -1.415) mode 3, 0.5 std away
	// (-1.416, -0.003) mode 1, 0.3 std away
	// ( 1.408, -0.002) mode 0, 0.5 std away
}

// Save a batcher's state and resume from it later, bit for bit.
func ExampleStreamBatcher_State() {
	b, _ := data.NewStreamBatcher(data.SwissRoll(), 2, 7)
	dst := make([]float32, 2*2)
	_ = b.Next(dst)
	state, _ := b.State() // store it in a checkpoint

	_ = b.Next(dst)
	want := fmt.Sprint(dst)

	resumed, _ := data.NewStreamBatcher(data.SwissRoll(), 2, 7)
	if err := resumed.Restore(state); err != nil {
		log.Fatal(err)
	}
	_ = resumed.Next(dst)
	fmt.Println(fmt.Sprint(dst) == want)
	// Output: true
}

// Read a small IDX array: two 2x3 images of unsigned bytes, raw. A
// gzip-compressed file is read the same way.
func ExampleReadIDX() {
	raw := []byte{
		0x00, 0x00, 0x08, 0x03, // magic: unsigned bytes, 3 dimensions
		0, 0, 0, 2, // 2 images
		0, 0, 0, 2, // of 2 rows
		0, 0, 0, 3, // of 3 columns
		1, 2, 3, 4, 5, 6,
		7, 8, 9, 10, 11, 12,
	}
	x, err := data.ReadIDX(bytes.NewReader(raw))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(x.Dims, x.Data)

	_, err = data.ReadIDX(bytes.NewReader(raw[:20]))
	fmt.Println(err)
	// Output:
	// [2 2 3] [1 2 3 4 5 6 7 8 9 10 11 12]
	// data: malformed IDX: truncated: dimensions [2 2 3] need 12 data bytes, input has 4: unexpected EOF
}

// Open a toy by the name a command-line flag gives.
func ExampleOpenToy() {
	_, err := data.OpenToy("moons")
	fmt.Println(err)
	// Output: data: unknown toy dataset "moons" (valid: 8gaussians, 25gaussians, swissroll)
}
