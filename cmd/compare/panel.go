package main

import (
	"image"
	"image/color"
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
		series := []viz.Series{
			{Name: "data", XY: to64(real), Color: color.RGBA{R: 160, G: 160, B: 160, A: 255}},
			{Name: title, XY: to64(gen), Color: color.RGBA{R: 220, G: 60, B: 30, A: 255}},
		}
		r := viz.Range{Min: -2.5, Max: 2.5}
		return viz.Scatter(title, series, &viz.ScatterOptions{Width: 400, Height: 400, XRange: r, YRange: r})
	}
	lo, hi := l.PixelRange()
	img, err := viz.Grid(gen, n, shape[0], shape[1], shape[2], 8, viz.Range{Min: lo, Max: hi})
	if err != nil {
		return nil, err
	}
	return viz.Upscale(img, 2), nil
}

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
