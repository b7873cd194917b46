package main

import (
	"fmt"
	"image"
	"io"
	"path/filepath"
	"strings"
	"time"

	"otgen/colour"
	"otgen/dist"
	"otgen/internal/cli"
	"otgen/internal/progress"
	"otgen/internal/term"
	"otgen/ot"
	"otgen/viz"
)

// colourFlags are the settings of colour-transfer.
type colourFlags struct {
	source, target, out string
	m, k, draws         int
	method              string
	eps                 float64
	seed                uint64
	workers             int
	reverse             bool
	compareM            []int // --compare-m
	compareSide         int
	compareDraws        int
	tty                 bool
	// comm spreads the pairs over a job's ranks; rank 0 alone writes.
	comm *dist.Comm
}

const colourHeader = `Usage: ot colour-transfer --source A.jpg --target B.jpg [flags]

Recolours the source with the target's palette by the barycentric map of the minibatch
transport plan (Fatras et al. 2020, eq. 6), using all cores, and writes --out (PNG, or
JPEG for a name ending in .jpg or .jpeg), NAME-reverse and NAME-compare beside it.`

func colourTransfer(comm *dist.Comm, args []string, stdout, stderr io.Writer) error {
	f, src, tgt, err := colourSetup(comm, args, stderr)
	// Flags and images are checked on every rank: a rank that cannot read
	// an image fails the job with its message, on every rank alike.
	if err := comm.Check(err); err != nil {
		return err
	}
	return f.run(src, tgt, stdout, stderr)
}

// colourSetup parses and checks the flags and reads the images.
func colourSetup(comm *dist.Comm, args []string, stderr io.Writer) (*colourFlags, image.Image, image.Image, error) {
	fs := cli.NewFlagSet("colour-transfer", stderr, colourHeader)
	f := colourFlags{compareM: []int{10, 100, 1000}}
	fs.StringVar(&f.source, "source", "", "image to recolour (JPEG or PNG)")
	fs.StringVar(&f.target, "target", "", "image whose palette is used (JPEG or PNG)")
	fs.StringVar(&f.out, "out", "colour-transfer.png", "recoloured source: .png, or .jpg/.jpeg for JPEG (quality 95); the reverse direction and the comparison figure are written beside it as NAME-reverse and NAME-compare, in the same format")
	fs.IntVar(&f.m, "m", colour.DefaultM, "minibatch size (pixels per minibatch)")
	fs.IntVar(&f.k, "k", 0, "minibatch pairs (0: enough for every source pixel to be drawn --draws times, ceil(draws·n/m)); pixels never drawn are coloured like their nearest drawn colour")
	fs.IntVar(&f.draws, "draws", 1, "with --k 0, how many minibatches each pixel is drawn in")
	fs.StringVar(&f.method, "method", "exact", "OT solver of each pair: exact or sinkhorn")
	fs.Float64Var(&f.eps, "eps", 0.01, "entropic regularisation of --method sinkhorn (squared RGB distance, colours in [0,1])")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the minibatches")
	fs.IntVar(&f.workers, "workers", 0, "goroutines (0: all cores); the result does not depend on it")
	fs.BoolVar(&f.reverse, "reverse", true, "also recolour the target with the source's palette")
	fs.Var((*cli.Ints)(&f.compareM), "compare-m", "minibatch sizes of the comparison figure, comma separated (empty: no figure)")
	fs.IntVar(&f.compareSide, "compare-size", 400, "longer side in pixels of the panels of the comparison figure, which is computed on copies of the images scaled to that size")
	fs.IntVar(&f.compareDraws, "compare-draws", 5, "minibatches each pixel is drawn in for the comparison figure")
	if err := cli.Parse(fs, args, 0); err != nil {
		return nil, nil, nil, err
	}
	if f.source == "" || f.target == "" {
		fs.Usage()
		return nil, nil, nil, fmt.Errorf("--source and --target are required")
	}
	f.comm = comm
	if err := f.check(); err != nil {
		return nil, nil, nil, err
	}
	f.tty = term.IsTerminal(stderr)
	src, err := loadImage("source", f.source)
	if err != nil {
		return nil, nil, nil, err
	}
	tgt, err := loadImage("target", f.target)
	if err != nil {
		return nil, nil, nil, err
	}
	return &f, src, tgt, nil
}

// check refuses flag values that cannot work, naming the flag and the
// value given, before any image is read.
func (f *colourFlags) check() error {
	switch {
	case f.m < 1:
		return fmt.Errorf("--m %d: want a minibatch size of at least 1", f.m)
	case f.k < 0:
		return fmt.Errorf("--k %d: want 0 (enough pairs to draw every pixel --draws times) or more", f.k)
	case f.draws < 1:
		return fmt.Errorf("--draws %d: want at least 1", f.draws)
	case f.workers < 0:
		return fmt.Errorf("--workers %d: want 0 (all cores) or more", f.workers)
	case f.compareSide < 16:
		return fmt.Errorf("--compare-size %d: want at least 16", f.compareSide)
	case f.compareDraws < 1:
		return fmt.Errorf("--compare-draws %d: want at least 1", f.compareDraws)
	}
	if f.comm.Rank() != 0 {
		return nil // rank 0 alone writes
	}
	return checkOut(f.out)
}

// sibling returns path with suffix inserted before its extension.
func sibling(path, suffix string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + suffix + ext
}

// run recolours the images; every rank computes its share of every
// transfer, rank 0 alone writes the results.
func (f *colourFlags) run(src, tgt image.Image, stdout, stderr io.Writer) error {
	writer := f.comm.Rank() == 0
	type job struct {
		name     string
		src, tgt image.Image
		path     string
	}
	jobs := []job{{"source→target", src, tgt, f.out}}
	if f.reverse {
		jobs = append(jobs, job{"target→source", tgt, src, sibling(f.out, "-reverse")})
	}
	results := make([]*colour.Result, len(jobs))
	for i, j := range jobs {
		res, err := f.transfer(stderr, j.name, j.src, j.tgt, colour.Options{M: f.m, K: f.k, Draws: f.draws})
		if err != nil {
			return fmt.Errorf("%s: %w", j.name, err)
		}
		results[i] = res
		if !writer {
			continue
		}
		if err := saveImage(j.path, res.Image); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "wrote", j.path)
	}
	if len(f.compareM) == 0 {
		return nil
	}
	fig, err := f.compareFigure(stdout, stderr, src, tgt, results[0].Image)
	if err != nil {
		return fmt.Errorf("comparison figure: %w", err)
	}
	if !writer {
		return nil
	}
	path := sibling(f.out, "-compare")
	if err := saveImage(path, fig); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "wrote", path)
	return nil
}

// transfer runs one colour transfer with the flags' solver settings and a
// progress display, and reports what it measured on stderr.
func (f *colourFlags) transfer(stderr io.Writer, name string, src, tgt image.Image, o colour.Options) (*colour.Result, error) {
	o.Method, o.Seed, o.Workers, o.Comm = ot.Method(f.method), f.seed, f.workers, f.comm
	if f.method == "sinkhorn" {
		o.Eps = f.eps
	}
	var p *progress.Bar
	o.Progress = func(done, total int) {
		if p == nil {
			p = progress.New(stderr, f.tty, fmt.Sprintf("%s m=%d", name, o.M), total, nil)
		}
		p.Set(done, "")
	}
	start := time.Now()
	res, err := colour.Transfer(src, tgt, o)
	if p != nil {
		p.Finish()
	}
	if err != nil {
		return nil, err
	}
	el := time.Since(start)
	if f.comm.Rank() != 0 {
		return res, nil // rank 0 alone reports
	}
	before, err := colour.PaletteDistance(src, tgt, 100_000, f.seed)
	if err != nil {
		return nil, err
	}
	after, err := colour.PaletteDistance(res.Image, tgt, 100_000, f.seed)
	if err != nil {
		return nil, err
	}
	b := src.Bounds()
	ranks := ""
	if n := f.comm.Size(); n > 1 {
		ranks = fmt.Sprintf(" on %d ranks", n)
	}
	fmt.Fprintf(stderr, "%s: %dx%d pixels, m=%d, k=%d pairs%s in %.1fs; %d pixels drawn, %d extended; mean minibatch W2² %.4g; palette SW2 to the target %.4f before, %.4f after\n",
		name, b.Dx(), b.Dy(), res.M, res.K, ranks, el.Seconds(), res.Covered, res.Extended, res.Cost, before, after)
	return res, nil
}

// compareFigure draws source, target, the full-size result and the results
// for every --compare-m side by side (a second row for the reverse
// direction), computed on copies scaled to --compare-size.
func (f *colourFlags) compareFigure(stdout, stderr io.Writer, src, tgt, result image.Image) (*image.RGBA, error) {
	s, t := fit(src, f.compareSide), fit(tgt, f.compareSide)
	dirs := []struct {
		name     string
		src, tgt image.Image
	}{{"source→target", s, t}}
	if f.reverse {
		dirs = append(dirs, struct {
			name     string
			src, tgt image.Image
		}{"target→source", t, s})
	}
	var rows []image.Image
	for _, d := range dirs {
		panels := []image.Image{captioned(d.src, "input"), captioned(d.tgt, "palette")}
		for _, m := range f.compareM {
			res, err := f.transfer(stderr, d.name+" (figure)", d.src, d.tgt, colour.Options{M: m, Draws: f.compareDraws})
			if err != nil {
				return nil, err
			}
			panels = append(panels, captioned(res.Image, fmt.Sprintf("m = %d, k = %d", m, res.K)))
		}
		row, err := viz.SidePanels(panels...)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return stackRows(rows...), nil
}
