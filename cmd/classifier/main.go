// Command classifier trains the classifiers whose feature spaces otgen's
// image metrics use (package classifier): the LeNet-style MNIST classifier
// (FID, KID and label coverage of MNIST samples) or, with --data celeba,
// the CelebA attribute classifier (FID and KID of CelebA samples). It
// prints the accuracy on held-out examples (for CelebA the mean over the
// 40 attributes, beside the majority-class baseline's) and saves the
// classifier as a checkpoint.
//
// Usage:
//
//	go run ./cmd/classifier                                  # full training, saved to the cache
//	go run ./cmd/classifier --limit 1000 --epochs 1          # quick try: prints the accuracy, saves nothing
//	go run ./cmd/classifier --limit 1000 --out quick.otgen   # quick try, saved there
//	go run ./cmd/classifier --evaluate [--out lenet.otgen]   # accuracy of a saved classifier
//	go run ./cmd/classifier --data celeba                    # the CelebA attribute classifier, saved to the cache
//	go run ./cmd/classifier --data celeba --evaluate         # its accuracy per attribute, against the baseline
//
// The caches are lenet-mnist.otgen and attrnet-celeba.otgen in the folder
// otgen of the user's cache folder ($XDG_CACHE_HOME or ~/.cache), where
// classifier.LoadOrTrain and LoadOrTrainCelebA (and so cmd/compare) look
// for them. Only a full training with the dataset's default settings
// writes a cache when --out is not given: a training with other settings
// is a try, saved only where --out says, so that it never replaces the
// classifier that the metrics use. The data is read from --data-dir
// (default $OTGEN_DATA/mnist or $OTGEN_DATA/celeba). Training shows a
// progress bar on a terminal and log lines otherwise; Ctrl-C stops it
// without saving.
package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"otgen/classifier"
	"otgen/data"
	"otgen/internal/cli"
	"otgen/internal/progress"
	"otgen/internal/term"
	"otgen/nn"
)

func main() {
	cli.Main("classifier", os.Args[1:], func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return run(ctx, args, stdout, stderr, term.IsTerminal(stderr))
	}, nn.ReexecWithFastBLAS)
}

const header = `Usage: classifier [flags]

Trains otgen's MNIST classifier (FID, KID and label KL of cmd/compare are computed
in its feature space) or, with --data celeba, its CelebA attribute classifier (FID
and KID of CelebA samples), prints its held-out accuracy and saves it. Without
--out, only a full training with the default settings is saved, to the cache that
cmd/compare reads; a training with other settings (a quick try) saves nothing
unless --out names a file.

Examples:
  classifier                                  # full training (~2 min), saved to the cache
  classifier --limit 1000 --epochs 1          # quick try, nothing saved
  classifier --limit 1000 --out quick.otgen   # quick try, saved to quick.otgen
  classifier --evaluate                       # test accuracy of the cached classifier
  classifier --data celeba                    # CelebA attribute classifier (~3 min), saved to the cache
  classifier --data celeba --evaluate         # its accuracy per attribute and the majority baseline's`

// settings are the training flags.
type settings struct {
	data                 string // "mnist" (also "") or "celeba"
	seed                 uint64
	epochs, batch, limit int
	lr                   float64
}

// defaults returns the default training options of the settings' data.
func (s settings) defaults() classifier.TrainOptions {
	if s.data == "celeba" {
		return classifier.DefaultCelebATrainOptions
	}
	return classifier.DefaultTrainOptions
}

// check refuses settings that cannot train, naming the flag.
func (s settings) check() error {
	switch {
	case s.epochs < 1:
		return fmt.Errorf("--epochs %d: want at least 1", s.epochs)
	case s.batch < 1:
		return fmt.Errorf("--batch %d: want at least 1", s.batch)
	case !(s.lr > 0) || math.IsInf(s.lr, 0):
		return fmt.Errorf("--lr %v: want a finite learning rate > 0", s.lr)
	case s.limit < 0:
		return fmt.Errorf("--limit %d: want 0 (all training digits) or more", s.limit)
	case s.limit > 0 && s.limit < s.batch:
		return fmt.Errorf("--limit %d is smaller than --batch %d", s.limit, s.batch)
	}
	return nil
}

// nonDefault lists the settings that differ from the default training, as
// flags ("--epochs 1 --limit 100"); empty for the default training.
func (s settings) nonDefault() string {
	def := s.defaults()
	var d []string
	if s.seed != classifier.DefaultSeed {
		d = append(d, fmt.Sprintf("--seed %d", s.seed))
	}
	if s.epochs != def.Epochs {
		d = append(d, fmt.Sprintf("--epochs %d", s.epochs))
	}
	if s.batch != def.Batch {
		d = append(d, fmt.Sprintf("--batch %d", s.batch))
	}
	if s.lr != def.LR {
		d = append(d, fmt.Sprintf("--lr %g", s.lr))
	}
	if s.limit != 0 {
		d = append(d, fmt.Sprintf("--limit %d", s.limit))
	}
	return strings.Join(d, " ")
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) error {
	fs := cli.NewFlagSet("classifier", stderr, header)
	def, cdef := classifier.DefaultTrainOptions, classifier.DefaultCelebATrainOptions
	s := settings{data: "mnist"}
	fs.Var(cli.OneOf(&s.data, "mnist", "celeba"), "data", "which classifier: mnist (the LeNet) or celeba (the attribute classifier)")
	out := fs.String("out", "", "checkpoint to write (default: "+classifier.FileName+" or, for celeba, "+classifier.CelebAFileName+" in the otgen cache folder, where cmd/compare looks, and only for a full default training)")
	dataDir := fs.String("data-dir", "", "folder of the MNIST IDX files or of CelebA (default $OTGEN_DATA/mnist or $OTGEN_DATA/celeba)")
	fs.Uint64Var(&s.seed, "seed", classifier.DefaultSeed, "seed of the initial weights, the order of the examples and their augmentation")
	fs.IntVar(&s.epochs, "epochs", def.Epochs, fmt.Sprintf("passes over the training examples; with --data celeba %d unless given", cdef.Epochs))
	fs.IntVar(&s.batch, "batch", def.Batch, fmt.Sprintf("examples per step; with --data celeba %d unless given", cdef.Batch))
	fs.Float64Var(&s.lr, "lr", def.LR, fmt.Sprintf("initial Adam learning rate, cosine decay to zero; with --data celeba %g unless given", cdef.LR))
	fs.IntVar(&s.limit, "limit", 0, "train on the first N training examples only (0: all 60,000 digits or 9,000 faces; for quick tries)")
	evaluate := fs.Bool("evaluate", false, "do not train: load --out (default: the cache) and print its held-out accuracy")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	if s.data == "celeba" {
		set := cli.Explicit(fs)
		if !set["epochs"] {
			s.epochs = cdef.Epochs
		}
		if !set["batch"] {
			s.batch = cdef.Batch
		}
		if !set["lr"] {
			s.lr = cdef.LR
		}
	}
	if !*evaluate {
		if err := s.check(); err != nil {
			return err
		}
		if st, err := os.Stat(*out); *out != "" && err == nil && st.IsDir() {
			return fmt.Errorf("--out %s is a directory; want a checkpoint file name", *out)
		}
	}
	cache, dir, err := s.paths(*dataDir)
	if err != nil && *out == "" {
		return err
	}
	if dir == "" {
		return err
	}
	if *evaluate {
		path := *out
		if path == "" {
			path = cache
		}
		if s.data == "celeba" {
			return evaluateCelebA(stdout, path, dir)
		}
		return evaluateFile(stdout, path, dir)
	}
	path, try := destination(*out, cache, s), s.nonDefault()
	if path == "" {
		fmt.Fprintf(stderr, "quick try (%s): the classifier will not be saved; pass --out FILE to keep it (only a full default training replaces the cached %s that cmd/compare uses)\n", try, cache)
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		// Fail on an unwritable destination before training, not after.
		return err
	}
	c, elapsed, err := train(ctx, stderr, tty, dir, s)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s in %.0f s)", c.summary, elapsed.Seconds())
	low := ""
	if c.acc < c.floor {
		low = fmt.Sprintf(" (below the %.0f%% that cmd/compare needs for FID/KID: it will refuse this file)", 100*c.floor)
	}
	switch {
	case path == "":
		fmt.Fprintf(stdout, "; not saved (pass --out FILE to keep it)\n")
		return nil
	case path == cache && c.acc < c.floor && *out == "":
		fmt.Fprintln(stdout)
		return fmt.Errorf("the default training reached only %.2f%%, below %.0f%%: %s was not written", 100*c.acc, 100*c.floor, cache)
	}
	if err := c.save(path); err != nil {
		return trimmed{err}
	}
	fmt.Fprintf(stdout, "; saved %s%s\n", path, low)
	return nil
}

// paths returns the cache file and the data folder (dataDir if given) of
// the settings' classifier. Without a cache folder, cache is "" and err
// says why; without a data folder, dir is "" and err says why.
func (s settings) paths(dataDir string) (cache, dir string, err error) {
	defaultPath, defaultDir := classifier.DefaultPath, data.DefaultMNISTDir
	if s.data == "celeba" {
		defaultPath, defaultDir = classifier.CelebADefaultPath, data.DefaultCelebADir
	}
	cache, err = defaultPath()
	dir = dataDir
	if dir == "" {
		var derr error
		if dir, derr = defaultDir(); derr != nil {
			return cache, "", derr
		}
	}
	return cache, dir, err
}

// trained is a newly trained classifier of either kind.
type trained struct {
	save       func(path string) error
	acc, floor float64 // its held-out accuracy and the floor of cmd/compare
	summary    string  // its accuracy and training, ending in an open "("
}

// destination returns where a training with settings s is saved: out if
// given, the cache for the default training, nowhere ("") for a quick try.
func destination(out, cache string, s settings) string {
	switch {
	case out != "":
		return out
	case s.nonDefault() == "":
		return cache
	}
	return ""
}

// train trains a classifier with settings s on the data in dir, showing
// progress on stderr.
func train(ctx context.Context, stderr io.Writer, tty bool, dir string, s settings) (trained, time.Duration, error) {
	opts := classifier.TrainOptions{Epochs: s.epochs, Batch: s.batch, LR: s.lr, Limit: s.limit}
	var bar *progress.Bar
	if tty {
		opts.Progress = func(step, total int, _ float64) {
			if bar == nil {
				bar = progress.New(stderr, true, "training", total, &progress.Options{Unit: "step"})
			}
			bar.Set(step, "")
		}
	}
	what := "MNIST classifier"
	if s.data == "celeba" {
		what = "CelebA attribute classifier"
	}
	fmt.Fprintf(stderr, "training the %s in %s (matrix products: %s)\n", what, dir, nn.BLAS)
	start := time.Now()
	var (
		t   trained
		err error
	)
	if s.data == "celeba" {
		var c *classifier.CelebA
		if c, err = classifier.TrainCelebA(ctx, dir, s.seed, opts, epochLog{stderr, tty}); err == nil {
			info := c.Info()
			t = trained{save: c.Save, acc: info.TestAccuracy, floor: classifier.CelebAMinAccuracy,
				summary: fmt.Sprintf("mean attribute accuracy %.2f%% on %d held-out faces, majority-class baseline %.2f%% (trained on %d faces × %d epochs",
					100*info.TestAccuracy, info.TestExamples, 100*info.BaselineAccuracy, info.TrainExamples, info.Epochs)}
		}
	} else {
		var c *classifier.Classifier
		if c, err = classifier.TrainMNIST(ctx, dir, s.seed, opts, epochLog{stderr, tty}); err == nil {
			info := c.Info()
			t = trained{save: c.Save, acc: info.TestAccuracy, floor: classifier.MinAccuracy,
				summary: fmt.Sprintf("test accuracy %.2f%% (trained on %d digits × %d epochs", 100*info.TestAccuracy, info.TrainExamples, info.Epochs)}
		}
	}
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return trained{}, 0, trimmed{err}
	}
	return t, time.Since(start), nil
}

// evaluateFile prints the test accuracy of the classifier saved at path.
func evaluateFile(stdout io.Writer, path, dir string) error {
	test, err := data.LoadMNIST(dir, "test")
	if err != nil {
		return err
	}
	c, err := classifier.Load(path)
	if err != nil {
		return trimmed{err}
	}
	acc, err := c.Evaluate(test)
	if err != nil {
		return trimmed{err}
	}
	fmt.Fprintf(stdout, "%s: test accuracy %.2f%% (%d digits; recorded at training: %.2f%%)\n", path, 100*acc, test.Len(), 100*c.Info().TestAccuracy)
	return nil
}

// trimmed drops package classifier's "classifier: " prefix from an error,
// which the command's own "classifier: " prefix would double.
type trimmed struct{ err error }

func (e trimmed) Error() string { return strings.TrimPrefix(e.err.Error(), "classifier: ") }
func (e trimmed) Unwrap() error { return e.err }

// epochLog writes Train's epoch lines, on a new line after the bar.
type epochLog struct {
	w   io.Writer
	tty bool
}

func (l epochLog) Write(p []byte) (int, error) {
	if l.tty {
		fmt.Fprintln(l.w)
	}
	return l.w.Write(p)
}
