package viz_test

import (
	"fmt"
	"image/color"

	"otgen/viz"
)

// A batch of four 1x28x28 images in [-1, 1], tiled two a row.
func ExampleGrid() {
	const n, c, h, w = 4, 1, 28, 28
	images := make([]float32, n*c*h*w)
	for i := range images {
		images[i] = -1 // black
	}
	images[2*h*w+10*w+5] = 1 // a white pixel at (5, 10) of image 2

	img, err := viz.Grid(images, n, c, h, w, 2, viz.Range{Min: -1, Max: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.Bounds())
	// Image 2 is the first of the second row: its origin is (2, 2+28+2).
	fmt.Println(img.At(2+5, 32+10) == color.RGBA{255, 255, 255, 255})
	fmt.Println(viz.Upscale(img, 4).Bounds())
	// Output:
	// (0,0)-(62,62)
	// true
	// (0,0)-(248,248)
}

// Inputs and reconstructions side by side.
func ExampleSidePanels() {
	in, _ := viz.Grid(make([]float32, 8*3*64*64), 8, 3, 64, 64, 4, viz.Range{Min: 0, Max: 1})
	out, _ := viz.Grid(make([]float32, 8*3*64*64), 8, 3, 64, 64, 4, viz.Range{Min: 0, Max: 1})
	both, err := viz.SidePanels(in, out)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(in.Bounds().Dx(), both.Bounds())
	// Output:
	// 266 (0,0)-(540,134)
}
