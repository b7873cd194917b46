package train

import (
	"fmt"
	"image/color"
	"math/rand/v2"
	"os"
	"path/filepath"

	"otgen/viz"
)

// SaveSamples writes a figure of generated samples to path: generated
// points over real ones for 2-D data, an 8×8 grid of images otherwise. The
// draws come from a fixed seed, so figures of successive steps are
// comparable.
func (r *Run) SaveSamples(path string) error {
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
	series := []viz.Series{
		{Name: "data", XY: to64(real), Color: color.RGBA{R: 160, G: 160, B: 160, A: 255}},
		{Name: "generated", XY: to64(gen), Color: color.RGBA{R: 220, G: 60, B: 30, A: 255}},
	}
	opts := &viz.ScatterOptions{XRange: viz.Range{Min: -2.5, Max: 2.5}, YRange: viz.Range{Min: -2.5, Max: 2.5}}
	if err := viz.SaveScatter(path, title, series, opts); err != nil {
		return fmt.Errorf("train: scatter: %w", err)
	}
	return nil
}

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
