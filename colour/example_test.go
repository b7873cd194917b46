package colour_test

import (
	"fmt"
	"image"
	"image/color"

	"otgen/colour"
)

func ExampleTransfer() {
	// A 20x10 image, left half dark blue, right half light blue, and a
	// palette image half red, half yellow.
	src := image.NewNRGBA(image.Rect(0, 0, 20, 10))
	tgt := image.NewNRGBA(image.Rect(0, 0, 10, 10))
	for y := 0; y < 10; y++ {
		for x := 0; x < 20; x++ {
			c := color.NRGBA{B: 90, A: 255}
			if x >= 10 {
				c = color.NRGBA{R: 120, G: 160, B: 255, A: 255}
			}
			src.SetNRGBA(x, y, c)
		}
		for x := 0; x < 10; x++ {
			c := color.NRGBA{R: 200, A: 255}
			if x >= 5 {
				c = color.NRGBA{R: 255, G: 230, A: 255}
			}
			tgt.SetNRGBA(x, y, c)
		}
	}
	// Minibatches of 50 pixels, every source pixel drawn twice.
	res, err := colour.Transfer(src, tgt, colour.Options{M: 50, Draws: 2, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("size:", res.Image.Bounds().Size(), "pairs:", res.K)
	// Dark blue turns red and light blue yellow (OT keeps the order of
	// lightness); minibatches that draw more of one half than the other
	// send a few pixels to the other colour.
	for _, half := range []struct {
		name   string
		x0, x1 int
	}{{"left", 0, 10}, {"right", 10, 20}} {
		var r, g, b float64
		for y := 0; y < 10; y++ {
			for x := half.x0; x < half.x1; x++ {
				c := res.Image.NRGBAAt(x, y)
				r, g, b = r+float64(c.R), g+float64(c.G), b+float64(c.B)
			}
		}
		fmt.Printf("%s half, mean RGB: %.0f %.0f %.0f\n", half.name, r/100, g/100, b/100)
	}
	// Output:
	// size: (20,10) pairs: 8
	// left half, mean RGB: 203 12 0
	// right half, mean RGB: 254 224 0

}
