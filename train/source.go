package train

import (
	"fmt"
	"math/rand/v2"
	"os"

	"otgen/data"
	"otgen/fetch"
)

// source is the data side of a run: training batches, real samples for
// figures and evaluation, and (for finite datasets) a held-out split.
type source struct {
	batcher data.Batcher
	// train, when not nil, is the training set whose batcher only draws
	// example indices (one rank of a data-parallel job reads its own rows
	// of each global batch; see shardBatcher).
	train data.Dataset
	shape []int
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
	case "mnist", "fashion-mnist":
		dir, err := dataDir(cfg)
		if err != nil {
			return nil, err
		}
		load := data.LoadMNIST
		if cfg.Data.Name == "fashion-mnist" {
			load = data.LoadFashionMNIST
		}
		tr, err := load(dir, "train")
		if err != nil {
			return nil, missingHint(cfg, dir, err)
		}
		te, err := load(dir, "test")
		if err != nil {
			return nil, missingHint(cfg, dir, err)
		}
		b, train, err := shardBatcher(cfg, tr, batchSeed)
		if err != nil {
			return nil, err
		}
		dim := 28 * 28
		real := func(rng *rand.Rand, dst []float32) {
			for i := 0; i+dim <= len(dst); i += dim {
				te.Example(rng.IntN(te.Len()), dst[i:i+dim])
			}
		}
		return &source{batcher: b, train: train, shape: tr.Shape(), real: real, test: te, lo: 0, hi: 1}, nil
	case "celeba":
		return openCelebA(cfg, batchSeed)
	}
	return nil, fmt.Errorf("train: unknown data %q", cfg.Data.Name)
}

// dataDir returns the folder of a file dataset: cfg.Data.Dir, else
// $OTGEN_DATA/<name>, else the user cache folder where cmd/data fetch (and
// train --download) put it.
func dataDir(cfg Config) (string, error) {
	return fetch.Dir(cfg.Data.Name, cfg.Data.Dir)
}

// missingHint adds to the error of a dataset folder that does not exist
// how to get the data.
func missingHint(cfg Config, dir string, err error) error {
	if _, serr := os.Stat(dir); serr != nil {
		return fmt.Errorf("%w (get it with: go run ./cmd/data fetch %s, or train --download; or set OTGEN_DATA or --data-dir)", err, cfg.Data.Name)
	}
	return err
}

// CelebAHeldOut is the fraction of the CelebA images (after Limit and the
// attribute filter, in file-name order) kept out of training: the last
// tenth, at least one image. Evaluation, figures and Loaded.Real use it.
const CelebAHeldOut = 0.1

// openCelebA reads the CelebA folder (cfg.Data.Dir, default
// $OTGEN_DATA/celeba) at 64×64 with pixels in [-1,1], for a tanh decoder.
func openCelebA(cfg Config, batchSeed uint64) (*source, error) {
	dir, err := dataDir(cfg)
	if err != nil {
		return nil, err
	}
	var attr data.AttrFilter
	if cfg.Data.Attr != "" {
		f, err := data.ParseAttrFilter(cfg.Data.Attr)
		if err != nil {
			return nil, fmt.Errorf("train: celeba attributes: %w", err)
		}
		attr = f
	}
	size := 64
	if len(cfg.Model.DataShape) == 3 {
		size = cfg.Model.DataShape[1]
	}
	all, err := data.OpenCelebA(dir, data.CelebAOptions{
		ImageOptions: data.ImageOptions{Size: size, Range: data.RangeSigned},
		Attr:         attr,
		Limit:        cfg.Data.Limit,
	})
	if err != nil {
		return nil, missingHint(cfg, dir, err)
	}
	n := all.Len()
	nTest := max(1, int(float64(n)*CelebAHeldOut))
	if n-nTest < 1 {
		return nil, fmt.Errorf("train: celeba: %d images, too few to hold out %d", n, nTest)
	}
	tr := span{all, 0, n - nTest}
	te := span{all, n - nTest, n}
	b, train, err := shardBatcher(cfg, tr, batchSeed)
	if err != nil {
		return nil, err
	}
	dim := all.Shape()[0] * all.Shape()[1] * all.Shape()[2]
	real := func(rng *rand.Rand, dst []float32) {
		for i := 0; i+dim <= len(dst); i += dim {
			te.Example(rng.IntN(te.Len()), dst[i:i+dim])
		}
	}
	return &source{batcher: b, train: train, shape: all.Shape(), real: real, test: te, lo: -1, hi: 1}, nil
}

// span is the examples lo..hi-1 of a dataset.
type span struct {
	d      data.Dataset
	lo, hi int
}

func (s span) Len() int                     { return s.hi - s.lo }
func (s span) Shape() []int                 { return s.d.Shape() }
func (s span) Example(i int, dst []float32) { s.d.Example(s.lo+i, dst) }
