// Command sample decodes a training checkpoint into figures, needing no
// other flag: the checkpoint records the model, the data and the loss.
//
// It writes into --out (default: a folder "sample" beside the checkpoint):
//   - samples.png: generated samples — an image grid, or for 2-D data a
//     scatter plot of generated points over real ones;
//   - reconstructions.png (auto-encoders): real inputs next to their
//     reconstructions;
//   - walk.png: latent walks — rows of images decoded along straight lines
//     between prior draws, or for 2-D data the decoded paths;
//   - with --scores, scores.json: the final image scores that cmd/compare
//     tabulates for its own runs (package scores: SWD, FID and KID in the
//     data's classifier space, label KL, reconstruction error), also
//     printed, for any checkpoint of image data.
//
// Usage:
//
//	go run ./cmd/sample runs/8gaussians-minibatch-w/checkpoint.otgen
//	go run ./cmd/sample --n 100 --seed 7 --out figs runs/mnist-vae/checkpoint.otgen
//	go run ./cmd/sample --scores runs/celeba-wgan/checkpoint.otgen
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math/rand/v2"
	"os"
	"otgen/internal/atomicfile"
	"otgen/internal/cli"
	"otgen/nn"
	"path/filepath"
	"sort"

	"otgen/scores"
	"otgen/train"
	"otgen/viz"
)

func main() {
	cli.Main("sample", os.Args[1:], runContext, nn.ReexecWithFastBLAS)
}

func run(args []string, stdout, stderr io.Writer) error {
	return runContext(context.Background(), args, stdout, stderr)
}

func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 64, "number of samples (and of reconstructions, at most 64)")
	seed := fs.Uint64("seed", 1, "seed of the prior draws and of the real examples shown")
	out := fs.String("out", "", "output folder (default: sample/ beside the checkpoint)")
	dataDir := fs.String("data-dir", "", "data folder, if it moved since training (reconstructions and --scores need real data)")
	withScores := fs.Bool("scores", false, "also compute the final image scores of cmd/compare's table (SWD; FID and KID for mnist and celeba; label KL for mnist; reconstruction error) into scores.json")
	clfPath := fs.String("classifier", "", "with --scores: classifier checkpoint for FID and KID (default: the cache path; trained there first when missing, ~2 min for MNIST, ~3 min for CelebA)")
	scoreSeed := fs.Uint64("score-seed", scores.Seed, "with --scores: seed of the scores' prior draws, held-out examples and projections (the default gives cmd/compare's numbers; others show how much of a score is the draw's)")
	live := fs.Bool("live", false, "decode with the generator's trained weights instead of their moving average (runs trained with --ema; default folder sample-live/)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sample [flags] CHECKPOINT\n\nWrites samples.png, reconstructions.png (auto-encoders) and walk.png;\nwith --scores also scores.json, the final image scores of cmd/compare's table.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("want one checkpoint path, got %d arguments", fs.NArg())
	}
	if *n < 2 || *n > 10000 {
		return fmt.Errorf("--n %d, want 2..10000", *n)
	}
	path := fs.Arg(0)
	load, folder := train.Load, "sample"
	if *live {
		load, folder = train.LoadLive, "sample-live"
	}
	l, err := load(path)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join(filepath.Dir(path), folder)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	s := &sampler{l: l, dir: dir, n: *n, seed: *seed, dataDir: *dataDir, log: stdout}
	files, err := s.all()
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", f)
	}
	if err != nil || !*withScores {
		return err
	}
	return writeScores(ctx, l, dir, *dataDir, *clfPath, *scoreSeed, stdout, stderr)
}

// writeScores computes the final image scores of l (package scores) from
// the draws of seed, prints them and writes them to scores.json in dir.
func writeScores(ctx context.Context, l *train.Loaded, dir, dataDir, clfPath string, seed uint64, stdout, stderr io.Writer) error {
	if len(l.Config.Model.DataShape) != 3 {
		return fmt.Errorf("--scores: %s data are not images; its metrics are in the run's metrics.csv", l.Config.Data.Name)
	}
	setDir := dataDir
	if setDir == "" {
		setDir = l.Config.Data.Dir
	}
	nets, err := scores.Load(ctx, l.Config.Data.Name, clfPath, setDir, stderr)
	if err != nil {
		return fmt.Errorf("--scores: %w", err)
	}
	m, err := scores.Final(l, dataDir, nets, seed)
	if err != nil {
		return fmt.Errorf("--scores: %w", err)
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(stdout, "%s %.6g\n", k, m[k])
	}
	p := filepath.Join(dir, "scores.json")
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(p, append(b, '\n')); err != nil {
		return fmt.Errorf("--scores: %w", err)
	}
	fmt.Fprintln(stdout, "wrote", p)
	return nil
}

type sampler struct {
	l       *train.Loaded
	dir     string
	n       int
	seed    uint64
	dataDir string
	log     io.Writer
	// real holds the examples to reconstruct, read by all (nil when the
	// model has no encoder or the data cannot be read).
	real []float32
}

func (s *sampler) all() ([]string, error) {
	var files []string
	skipRec := s.l.Model.Encoder == nil
	if !skipRec {
		// Reconstructions need the real data; without it the samples and
		// the walk are still written.
		var err error
		if s.real, err = s.l.Real(min(s.n, 64), s.seed, s.dataDir); err != nil {
			fmt.Fprintf(s.log, "skipped reconstructions.png: the training data could not be read (%v); pass --data-dir\n", err)
			skipRec = true
		}
	}
	steps := []struct {
		name string
		f    func(string) error
		skip bool
	}{
		{"samples.png", s.samples, false},
		{"reconstructions.png", s.reconstructions, skipRec},
		{"walk.png", s.walk, false},
	}
	for _, st := range steps {
		if st.skip {
			continue
		}
		p := filepath.Join(s.dir, st.name)
		if err := st.f(p); err != nil {
			return files, fmt.Errorf("%s: %w", st.name, err)
		}
		files = append(files, p)
	}
	return files, nil
}

func (s *sampler) is2D() bool {
	sh := s.l.Config.Model.DataShape
	return len(sh) == 1 && sh[0] == 2
}

func (s *sampler) prior(rng *rand.Rand, n int) []float32 {
	z := make([]float32, n*s.l.Config.Model.Latent)
	s.l.Model.SamplePrior(rng, z)
	return z
}

func (s *sampler) grid(path string, images []float32, n, cols int) error {
	sh := s.l.Config.Model.DataShape
	lo, hi := s.l.PixelRange()
	img, err := viz.Grid(images, n, sh[0], sh[1], sh[2], cols, viz.Range{Min: lo, Max: hi})
	if err != nil {
		return err
	}
	return viz.SavePNG(path, upscale(img))
}

func (s *sampler) samples(path string) error {
	rng := rand.New(rand.NewPCG(s.seed, 1))
	x, err := s.l.Model.Generate(s.prior(rng, s.n), s.n)
	if err != nil {
		return err
	}
	if s.is2D() {
		real, err := s.l.Real(s.n, s.seed, s.dataDir)
		if err != nil {
			return err
		}
		return train.Scatter2D(path, fmt.Sprintf("%s samples, step %d", s.l.Config.Loss.Name, s.l.Step), real, x)
	}
	return s.grid(path, x, s.n, cols(s.n))
}

func (s *sampler) reconstructions(path string) error {
	n := min(s.n, 64)
	real := s.real
	rec, err := s.l.Model.Reconstruct(real, n)
	if err != nil {
		return err
	}
	if s.is2D() {
		series := []viz.Series{
			{Name: "inputs", XY: viz.XY(real), Color: color.RGBA{R: 120, G: 120, B: 120, A: 255}},
			{Name: "reconstructions", XY: viz.XY(rec), Color: color.RGBA{R: 30, G: 90, B: 220, A: 255}},
		}
		opts := &viz.ScatterOptions{XRange: viz.Range{Min: -2.5, Max: 2.5}, YRange: viz.Range{Min: -2.5, Max: 2.5}}
		return viz.SaveScatter(path, "inputs and reconstructions", series, opts)
	}
	sh := s.l.Config.Model.DataShape
	lo, hi := s.l.PixelRange()
	a, err := viz.Grid(real, n, sh[0], sh[1], sh[2], cols(n), viz.Range{Min: lo, Max: hi})
	if err != nil {
		return err
	}
	b, err := viz.Grid(rec, n, sh[0], sh[1], sh[2], cols(n), viz.Range{Min: lo, Max: hi})
	if err != nil {
		return err
	}
	img, err := viz.SidePanels(a, b)
	if err != nil {
		return err
	}
	return viz.SavePNG(path, upscale(img))
}

// walk decodes rows of codes on straight lines between pairs of prior draws.
func (s *sampler) walk(path string) error {
	const rows, cols = 8, 10
	dz := s.l.Config.Model.Latent
	rng := rand.New(rand.NewPCG(s.seed, 2))
	ends := s.prior(rng, 2*rows)
	steps := cols
	if s.is2D() {
		steps = 100
	}
	z := make([]float32, rows*steps*dz)
	for r := 0; r < rows; r++ {
		a, b := ends[2*r*dz:(2*r+1)*dz], ends[(2*r+1)*dz:(2*r+2)*dz]
		for c := 0; c < steps; c++ {
			t := float32(c) / float32(steps-1)
			for k := 0; k < dz; k++ {
				z[(r*steps+c)*dz+k] = (1-t)*a[k] + t*b[k]
			}
		}
	}
	x, err := s.l.Model.Generate(z, rows*steps)
	if err != nil {
		return err
	}
	if s.is2D() {
		var series []viz.Series
		for r := 0; r < rows; r++ {
			series = append(series, viz.Series{Name: fmt.Sprintf("walk %d", r+1), XY: viz.XY(x[r*steps*2 : (r+1)*steps*2])})
		}
		opts := &viz.ScatterOptions{XRange: viz.Range{Min: -2.5, Max: 2.5}, YRange: viz.Range{Min: -2.5, Max: 2.5}}
		return viz.SaveScatter(path, "decoded latent walks", series, opts)
	}
	return s.grid(path, x, rows*cols, cols)
}

func cols(n int) int {
	c := 1
	for c*c < n {
		c++
	}
	return c
}
