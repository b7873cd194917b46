package train

import (
	"fmt"
	"math/rand/v2"

	"otgen/data"
)

// source is the data side of a run: training batches, real samples for
// figures and evaluation, and (for finite datasets) a held-out split.
type source struct {
	batcher data.Batcher
	shape   []int
	// real fills dst with real examples drawn with rng (for figures and
	// evaluation; never from the training batcher, so it does not disturb
	// the training sequence).
	real func(rng *rand.Rand, dst []float32)
	// test is the held-out split, nil for the infinite toys.
	test data.Dataset
	// lo and hi are the range of pixel values, for image grids.
	lo, hi float64
	// modes and std describe a mixture-of-Gaussians toy (nil otherwise).
	modes [][2]float64
	std   float64
}

func openSource(cfg Config) (*source, error) {
	batchSeed := cfg.Seed*0x9e3779b97f4a7c15 + 0x62617463
	switch cfg.Data.Name {
	case "8gaussians", "25gaussians", "swissroll":
		s, err := data.OpenToy(cfg.Data.Name)
		if err != nil {
			return nil, err
		}
		b, err := data.NewStreamBatcher(s, cfg.Batch, batchSeed)
		if err != nil {
			return nil, err
		}
		src := &source{batcher: b, shape: s.Shape(), real: s.Sample}
		switch cfg.Data.Name {
		case "8gaussians":
			src.modes, src.std = data.EightGaussiansModes(), data.EightGaussiansStd
		case "25gaussians":
			src.modes, src.std = data.TwentyFiveGaussiansModes(), data.TwentyFiveGaussiansStd
		}
		return src, nil
	case "mnist":
		dir := cfg.Data.Dir
		if dir == "" {
			d, err := data.DefaultMNISTDir()
			if err != nil {
				return nil, err
			}
			dir = d
		}
		tr, err := data.LoadMNIST(dir, "train")
		if err != nil {
			return nil, err
		}
		te, err := data.LoadMNIST(dir, "test")
		if err != nil {
			return nil, err
		}
		b, err := data.NewShuffleBatcher(tr, cfg.Batch, batchSeed)
		if err != nil {
			return nil, err
		}
		dim := 28 * 28
		real := func(rng *rand.Rand, dst []float32) {
			for i := 0; i+dim <= len(dst); i += dim {
				te.Example(rng.IntN(te.Len()), dst[i:i+dim])
			}
		}
		return &source{batcher: b, shape: tr.Shape(), real: real, test: te, lo: 0, hi: 1}, nil
	}
	return nil, fmt.Errorf("train: unknown data %q", cfg.Data.Name)
}
