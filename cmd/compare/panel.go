package main

import (
	"image"
	"math/rand/v2"

	"otgen/train"
	"otgen/viz"
)

// samplePanel draws 1,000 generated points over real ones (2-D data) or an
// 8×8 grid of generated images, from a fixed seed.
func samplePanel(l *train.Loaded, title, dataDir string) (image.Image, error) {
	shape := l.Config.Model.DataShape
	rng := rand.New(rand.NewPCG(7, 7))
	n := 1000
	if len(shape) != 1 {
		n = 64
	}
	z := make([]float32, n*l.Config.Model.Latent)
	l.Model.SamplePrior(rng, z)
	gen, err := l.Model.Generate(z, n)
	if err != nil {
		return nil, err
	}
	if len(shape) == 1 && shape[0] == 2 {
		real, err := l.Real(n, 7, dataDir)
		if err != nil {
			return nil, err
		}
		return train.ScatterOverData(title, title, real, gen, 400)
	}
	lo, hi := l.PixelRange()
	img, err := viz.Grid(gen, n, shape[0], shape[1], shape[2], 8, viz.Range{Min: lo, Max: hi})
	if err != nil {
		return nil, err
	}
	return viz.Upscale(img, 2), nil
}
