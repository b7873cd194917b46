package train

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"os"
	"path/filepath"

	"otgen/viz"
)

// SaveSamples writes a figure of generated samples to path: generated
// points over real ones for 2-D data, an 8×8 grid of images otherwise. The
// draws come from a fixed seed, so figures of successive steps are
// comparable. A run with a moving average of the generator (Config.EMA)
// draws them from the average.
func (r *Run) SaveSamples(path string) error {
	return r.withAverages(func() error { return r.saveSamples(path) })
}

func (r *Run) saveSamples(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("train: samples folder: %w", err)
	}
	rng := rand.New(rand.NewPCG(r.evalSeed(), 3))
	if r.is2D() {
		real := make([]float32, evalSamples*2)
		r.src.real(rng, real)
		gen, err := r.generate(rng, evalSamples)
		if err != nil {
			return err
		}
		return Scatter2D(path, fmt.Sprintf("%s %s, step %d", r.Config.Loss.Name, r.Config.Data.Name, r.step), real, gen)
	}
	gen, err := r.generate(rng, 64)
	if err != nil {
		return err
	}
	s := r.Config.Model.DataShape
	c, h, w := s[0], s[1], s[2]
	if err := viz.SaveGrid(path, gen, 64, c, h, w, 8, viz.Range{Min: r.src.lo, Max: r.src.hi}); err != nil {
		return fmt.Errorf("train: samples: %w", err)
	}
	return nil
}

// Scatter2D writes a scatter plot of generated 2-D points over real ones.
func Scatter2D(path, title string, real, gen []float32) error {
	img, err := ScatterOverData(title, "generated", real, gen, 0)
	if err != nil {
		return err
	}
	return viz.SavePNG(path, img)
}

// ScatterOverData draws generated 2-D points (legend genName) in red over
// real ones in grey, on the toys' [-2.5, 2.5]² window, size×size pixels
// (0: viz's default).
func ScatterOverData(title, genName string, real, gen []float32, size int) (*image.RGBA, error) {
	series := []viz.Series{
		{Name: "data", XY: viz.XY(real), Color: color.RGBA{R: 160, G: 160, B: 160, A: 255}},
		{Name: genName, XY: viz.XY(gen), Color: color.RGBA{R: 220, G: 60, B: 30, A: 255}},
	}
	r := viz.Range{Min: -2.5, Max: 2.5}
	img, err := viz.Scatter(title, series, &viz.ScatterOptions{Width: size, Height: size, XRange: r, YRange: r})
	if err != nil {
		return nil, fmt.Errorf("train: scatter: %w", err)
	}
	return img, nil
}
