package main

import (
	"image"

	"otgen/viz"
)

// upscale enlarges images narrower than 400 pixels (MNIST grids) by an
// integer factor, nearest neighbour, so they are readable.
func upscale(img image.Image) image.Image {
	w := img.Bounds().Dx()
	if w >= 400 || w == 0 {
		return img
	}
	return viz.Upscale(img, max(1, 400/w))
}
