package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"io"
	"math/rand/v2"
	"os"
	"otgen/internal/atomicfile"
	"otgen/internal/progress"
	"otgen/internal/term"
	"path/filepath"
	"strings"

	"gonum.org/v1/gonum/mat"

	"otgen/data"
	"otgen/dist"
	"otgen/flow"
	"otgen/viz"
)

// The image flow's defaults are the CelebA experiment of Fatras et al.
// (2020, section 5): 5,000 men moved towards 5,000 women with k pairs of
// m = 500 faces per step (k = 10 for 5,000 particles).
const (
	defaultImages = 5000
	defaultImageM = 500
)

// flowFlags are the settings of the flow command.
type flowFlags struct {
	toy                   string
	source, target        string
	attr, targetAttr      string
	attrFile              string
	size, n               int
	m, k, steps, every    int
	lr                    float64
	seed                  uint64
	workers, show         int
	blobStd               float64
	out                   string
	tty                   bool
	srcFilter, tgtFilter  data.AttrFilter
	mSet, kSet, stepsSet  bool
	lrSet, nSet, everySet bool
	imageShape            []int // C, H, W of image particles; nil for 2-D toys
	particles, targets    *mat.Dense
	// comm spreads the pairs of every step over a job's ranks; rank 0
	// alone writes.
	comm *dist.Comm
}

func flowCmd(comm *dist.Comm, args []string, stdout, stderr io.Writer) error {
	f, err := flowSetup(comm, args, stderr)
	// Flags and data are checked on every rank: a rank that cannot read
	// the images fails the job with its message, on every rank alike.
	if err := comm.Check(err); err != nil {
		return err
	}
	return f.run(stdout, stderr)
}

// flowSetup parses and checks the flags, reads or draws the particles and
// targets, fills in the defaults and makes the output folder (rank 0).
func flowSetup(comm *dist.Comm, args []string, stderr io.Writer) (*flowFlags, error) {
	fs := flag.NewFlagSet("flow", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &flowFlags{comm: comm}
	fs.StringVar(&f.toy, "toy", "", "2-D target instead of images: "+strings.Join(data.ToyNames(), ", ")+" (the particles start as a Gaussian blob at the origin)")
	fs.StringVar(&f.source, "source", "", "folder of the source images (JPEG/PNG), the particles")
	fs.StringVar(&f.target, "target", "", "folder of the target images")
	fs.StringVar(&f.attr, "attr", "", "keep the source images with these CelebA attributes, e.g. Male=1 (the folder is then read as CelebA: face crop, attributes from --attr-file)")
	fs.StringVar(&f.targetAttr, "target-attr", "", "keep the target images with these CelebA attributes, e.g. Male=-1")
	fs.StringVar(&f.attrFile, "attr-file", "", "CelebA attribute file (default: list_attr_celeba.txt beside the image folder, or inside it)")
	fs.IntVar(&f.size, "size", 64, "side of the square images, in pixels")
	fs.IntVar(&f.n, "n", 0, "particles and targets: the first N images of each set (default 5000, the paper's, or as many as the set holds), or N points of the toy (default 1000)")
	fs.IntVar(&f.m, "m", 0, "minibatch size (default 500 for images, the paper's; 100 for toys)")
	fs.IntVar(&f.k, "k", 0, "minibatch pairs per step (default n/m, so that every particle moves at every step)")
	fs.IntVar(&f.steps, "steps", 0, "gradient steps (default 40 for images, 60 for toys)")
	fs.Float64Var(&f.lr, "lr", 0, "time step: a step moves a particle 2·lr of the way to the mean of its minibatch partners (default 0.1)")
	fs.IntVar(&f.every, "every", 0, "write a snapshot every N steps (default steps/10)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the minibatches, the blob and the choice of toy points")
	fs.IntVar(&f.workers, "workers", 0, "goroutines (0: all cores); the result does not depend on it")
	fs.IntVar(&f.show, "show", 64, "images: particles shown in each snapshot grid")
	fs.Float64Var(&f.blobStd, "blob-std", 0.3, "toys: standard deviation of the initial Gaussian blob")
	fs.StringVar(&f.out, "out", "flow", "output folder: step_NNNN.png snapshots, loss.png, loss.csv (and target.png, flow.png for images)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ot flow --source DIR --target DIR [flags]\n       ot flow --toy 8gaussians [flags]\n\n"+
			"Moves source particles along the gradient of the minibatch Wasserstein loss (exact OT per\n"+
			"pair, squared Euclidean cost) towards the target set, with fresh minibatches every step.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "m":
			f.mSet = true
		case "k":
			f.kSet = true
		case "steps":
			f.stepsSet = true
		case "lr":
			f.lrSet = true
		case "n":
			f.nSet = true
		case "every":
			f.everySet = true
		}
	})
	f.tty = term.IsTerminal(stderr)
	if err := f.load(); err != nil {
		return nil, err
	}
	return f, f.settle()
}

// load validates the flags and reads or draws the particles and targets.
func (f *flowFlags) load() error {
	images := f.source != "" || f.target != ""
	switch {
	case f.toy != "" && images:
		return errors.New("--toy and --source/--target exclude each other")
	case f.toy == "" && (f.source == "" || f.target == ""):
		return errors.New("give --source DIR and --target DIR, or --toy NAME")
	case f.toy != "" && (f.attr != "" || f.targetAttr != ""):
		return errors.New("--attr and --target-attr select images; they do not apply to --toy")
	}
	if f.nSet && f.n < 1 {
		return fmt.Errorf("--n %d, want at least 1", f.n)
	}
	if f.toy != "" {
		return f.loadToy()
	}
	var err error
	if f.srcFilter, err = data.ParseAttrFilter(f.attr); err != nil {
		return fmt.Errorf("--attr: %w", err)
	}
	if f.tgtFilter, err = data.ParseAttrFilter(f.targetAttr); err != nil {
		return fmt.Errorf("--target-attr: %w", err)
	}
	if f.size < 4 || f.size > 512 {
		return fmt.Errorf("--size %d, want 4..512", f.size)
	}
	if !f.nSet {
		f.n = defaultImages
	}
	if f.particles, err = f.loadImages("source", f.source, f.srcFilter); err != nil {
		return err
	}
	if f.targets, err = f.loadImages("target", f.target, f.tgtFilter); err != nil {
		return err
	}
	f.imageShape = []int{3, f.size, f.size}
	return nil
}

// loadToy draws the Gaussian blob and the toy targets.
func (f *flowFlags) loadToy() error {
	toy, err := data.OpenToy(f.toy)
	if err != nil {
		return fmt.Errorf("--toy: %w", err)
	}
	if !(f.blobStd > 0) {
		return fmt.Errorf("--blob-std %v, want > 0", f.blobStd)
	}
	if !f.nSet {
		f.n = 1000
	}
	rng := rand.New(rand.NewPCG(f.seed, 0x70e))
	buf := make([]float32, 2*f.n)
	toy.Sample(rng, buf)
	f.targets = mat.NewDense(f.n, 2, nil)
	f.particles = mat.NewDense(f.n, 2, nil)
	for i, v := range buf {
		f.targets.RawMatrix().Data[i] = float64(v)
		f.particles.RawMatrix().Data[i] = f.blobStd * rng.NormFloat64()
	}
	return nil
}

// loadImages reads the first f.n images of a folder (selected by a CelebA
// attribute filter if one is given) as rows of pixels in [0,1], channels
// first.
func (f *flowFlags) loadImages(what, dir string, filter data.AttrFilter) (*mat.Dense, error) {
	var warn bytes.Buffer
	opts := data.ImageOptions{Size: f.size, OnCorrupt: data.OnCorruptStop, Warn: &warn, Workers: f.workers}
	var imgs *data.Images
	var err error
	if len(filter) == 0 {
		imgs, err = data.OpenImageFolder(dir, opts)
	} else {
		var attrPath string
		if attrPath, err = f.attrPath(dir); err == nil {
			imgs, err = openCelebA(dir, attrPath, filter, opts)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s images: %w", what, err)
	}
	n := min(f.n, imgs.Len())
	if n < f.n && f.nSet {
		return nil, fmt.Errorf("%s images: --n %d but %s has only %d matching images", what, f.n, dir, imgs.Len())
	}
	d := 3 * f.size * f.size
	X := mat.NewDense(n, d, nil)
	buf := make([]float32, d)
	for i := 0; i < n; i++ {
		imgs.Example(i, buf)
		row := X.RawRowView(i)
		for k, v := range buf {
			row[k] = float64(v)
		}
	}
	return X, nil
}

// attrPath returns the attribute file for the image folder dir: --attr-file,
// or list_attr_celeba.txt beside dir, or inside it.
func (f *flowFlags) attrPath(dir string) (string, error) {
	if f.attrFile != "" {
		return f.attrFile, nil
	}
	for _, p := range []string{
		filepath.Join(filepath.Dir(filepath.Clean(dir)), data.CelebAAttrFile),
		filepath.Join(dir, data.CelebAAttrFile),
	} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no %s beside or inside %s: pass --attr-file", data.CelebAAttrFile, dir)
}

// openCelebA reads the images of dir whose attributes in attrPath match
// filter, with CelebA's face crop.
func openCelebA(dir, attrPath string, filter data.AttrFilter, opts data.ImageOptions) (*data.Images, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	absAttr, err := filepath.Abs(attrPath)
	if err != nil {
		return nil, err
	}
	parent := filepath.Dir(absDir)
	rel, err := filepath.Rel(parent, absAttr)
	if err != nil {
		return nil, fmt.Errorf("attribute file %s: %w", attrPath, err)
	}
	return data.OpenCelebA(parent, data.CelebAOptions{
		ImageOptions: opts,
		Images:       filepath.Base(absDir),
		AttrFile:     rel,
		Attr:         filter,
	})
}

// settle fills in the defaults that depend on the data, checks them and
// makes the output folder (rank 0 alone writes).
func (f *flowFlags) settle() error {
	n, _ := f.particles.Dims()
	m, _ := f.targets.Dims()
	if !f.mSet {
		f.m = min(100, n, m)
		if f.imageShape != nil {
			f.m = min(defaultImageM, n, m)
		}
	}
	if f.m < 1 || f.m > n || f.m > m {
		return fmt.Errorf("--m %d, want 1 <= m <= %d particles and <= %d targets", f.m, n, m)
	}
	if !f.kSet {
		f.k = max(1, (n+f.m-1)/f.m)
	}
	if !f.stepsSet {
		f.steps = 60
		if f.imageShape != nil {
			f.steps = 40
		}
	}
	if !f.lrSet {
		f.lr = 0.1
	}
	if !f.everySet {
		f.every = max(1, f.steps/10)
	}
	if f.k < 1 || f.steps < 1 || f.every < 1 {
		return fmt.Errorf("--k %d, --steps %d, --every %d: want all >= 1", f.k, f.steps, f.every)
	}
	if f.imageShape != nil && f.show < 1 {
		return fmt.Errorf("--show %d, want at least 1", f.show)
	}
	if f.comm.Rank() != 0 {
		return nil
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	return nil
}

// run runs the flow (every rank solves its share of the pairs of every
// step) and writes the figures (rank 0).
func (f *flowFlags) run(stdout, stderr io.Writer) error {
	n, _ := f.particles.Dims()
	m, _ := f.targets.Dims()
	writer := f.comm.Rank() == 0
	ranks := ""
	if f.comm.Size() > 1 {
		ranks = fmt.Sprintf(", on %d ranks", f.comm.Size())
	}
	fmt.Fprintf(stderr, "flow: %d particles to %d targets of dimension %d, m=%d, k=%d, %d steps, lr %g%s\n",
		n, m, f.particles.RawMatrix().Cols, f.m, f.k, f.steps, f.lr, ranks)
	o := flow.Options{M: f.m, K: f.k, Steps: f.steps, LR: f.lr, Seed: f.seed, Workers: f.workers, Comm: f.comm}
	if f.imageShape != nil {
		o.Lo, o.Hi = 0, 1
	}
	p := progress.New(stderr, f.tty, "flow", f.steps, nil)
	var snaps []image.Image
	var files []string
	var view *toyView
	if f.imageShape == nil {
		view = newToyView(f.particles, f.targets)
	}
	losses, err := flow.Run(f.particles, f.targets, o, func(s flow.State) error {
		if s.Step > 0 {
			p.Set(s.Step, fmt.Sprintf("loss %.4g", s.Loss))
		}
		if !writer || (s.Step%f.every != 0 && s.Step != f.steps) {
			return nil
		}
		path := filepath.Join(f.out, fmt.Sprintf("step_%04d.png", s.Step))
		var err error
		if view != nil {
			err = view.save(path, s)
		} else {
			var row image.Image
			row, err = f.saveGrid(path, s)
			snaps = append(snaps, captioned(row, fmt.Sprintf("step %d, loss %.4g", s.Step, s.Loss)))
		}
		if err != nil {
			return err
		}
		files = append(files, path)
		return nil
	})
	p.Finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "flow: minibatch W loss %.4g at the start, %.4g after %d steps\n", losses[0], losses[len(losses)-1], f.steps)
	if !writer {
		return nil
	}
	more, err := f.saveSummary(losses, snaps)
	files = append(files, more...)
	for _, file := range files {
		fmt.Fprintln(stdout, "wrote", file)
	}
	return err
}

// saveGrid writes the first --show particles as an image grid and returns
// one row of them for the summary figure.
func (f *flowFlags) saveGrid(path string, s flow.State) (image.Image, error) {
	n, d := s.X.Dims()
	show := min(f.show, n)
	buf := make([]float32, show*d)
	for i := 0; i < show; i++ {
		for k, v := range s.X.RawRowView(i) {
			buf[i*d+k] = float32(v)
		}
	}
	c, h, w := f.imageShape[0], f.imageShape[1], f.imageShape[2]
	if err := viz.SaveGrid(path, buf, show, c, h, w, 8, viz.Range{Min: 0, Max: 1}); err != nil {
		return nil, err
	}
	return viz.Grid(buf[:min(show, 8)*d], min(show, 8), c, h, w, 8, viz.Range{Min: 0, Max: 1})
}

// saveSummary writes loss.csv, loss.png and, for images, target.png and
// flow.png (the snapshots of the first particles one under the other).
func (f *flowFlags) saveSummary(losses []float64, snaps []image.Image) ([]string, error) {
	var files []string
	var csv bytes.Buffer
	csv.WriteString("step,loss\n")
	for t, l := range losses {
		fmt.Fprintf(&csv, "%d,%.10g\n", t, l)
	}
	path := filepath.Join(f.out, "loss.csv")
	if err := atomicfile.WriteBytes(path, csv.Bytes()); err != nil {
		return files, err
	}
	files = append(files, path)
	path = filepath.Join(f.out, "loss.png")
	title := fmt.Sprintf("minibatch W loss (m=%d, k=%d, lr %g)", f.m, f.k, f.lr)
	if err := viz.SaveCurves(path, title, "step", "minibatch W²", []viz.Curve{{Name: "loss", Y: losses}}, &viz.CurveOptions{LogY: true}); err != nil {
		return files, err
	}
	files = append(files, path)
	if f.imageShape == nil {
		return files, nil
	}
	m, d := f.targets.Dims()
	show := min(f.show, m)
	buf := make([]float32, show*d)
	for i := 0; i < show; i++ {
		for k, v := range f.targets.RawRowView(i) {
			buf[i*d+k] = float32(v)
		}
	}
	c, h, w := f.imageShape[0], f.imageShape[1], f.imageShape[2]
	path = filepath.Join(f.out, "target.png")
	if err := viz.SaveGrid(path, buf, show, c, h, w, 8, viz.Range{Min: 0, Max: 1}); err != nil {
		return files, err
	}
	files = append(files, path)
	tg, err := viz.Grid(buf[:min(show, 8)*d], min(show, 8), c, h, w, 8, viz.Range{Min: 0, Max: 1})
	if err != nil {
		return files, err
	}
	snaps = append(snaps, captioned(tg, "targets (not matched to the particles above)"))
	path = filepath.Join(f.out, "flow.png")
	if err := viz.SavePNG(path, stackRows(snaps...)); err != nil {
		return files, err
	}
	return append(files, path), nil
}

// toyView draws the snapshots of a 2-D flow on fixed axes, so that they
// can be played as an animation.
type toyView struct {
	targets []float64
	opts    viz.ScatterOptions
}

func newToyView(X, Y *mat.Dense) *toyView {
	lo, hi := min(mat.Min(X), mat.Min(Y)), max(mat.Max(X), mat.Max(Y))
	pad := 0.05 * (hi - lo)
	r := viz.Range{Min: lo - pad, Max: hi + pad}
	return &toyView{
		targets: append([]float64(nil), Y.RawMatrix().Data...),
		opts:    viz.ScatterOptions{XRange: r, YRange: r},
	}
}

func (v *toyView) save(path string, s flow.State) error {
	title := fmt.Sprintf("step %d, minibatch W loss %.4g", s.Step, s.Loss)
	return viz.SaveScatter(path, title, []viz.Series{
		{Name: "target", XY: v.targets, Color: color.RGBA{R: 170, G: 170, B: 170, A: 255}, Radius: 1.5},
		{Name: "particles", XY: s.X.RawMatrix().Data, Color: color.RGBA{R: 31, G: 119, B: 180, A: 255}, Radius: 1.5},
	}, &v.opts)
}
