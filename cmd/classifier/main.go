// Command classifier trains otgen's LeNet-style MNIST classifier (package
// classifier) on the MNIST training split, prints its accuracy on the test
// split and saves it as a checkpoint, the one whose features and labels
// package eval uses for FID, KID and label coverage.
//
// Usage:
//
//	go run ./cmd/classifier                                  # full training, saved to the cache
//	go run ./cmd/classifier --limit 1000 --epochs 1          # quick try: prints the accuracy, saves nothing
//	go run ./cmd/classifier --limit 1000 --out quick.otgen   # quick try, saved there
//	go run ./cmd/classifier --evaluate [--out lenet.otgen]   # accuracy of a saved classifier
//
// The cache is lenet-mnist.otgen in the folder otgen of the user's cache
// folder ($XDG_CACHE_HOME or ~/.cache), where classifier.LoadOrTrain (and
// so cmd/compare) looks for it. Only a full training with the default
// settings writes it when --out is not given: a training with other
// settings is a try, saved only where --out says, so that it never
// replaces the classifier that the metrics use. MNIST is read from
// --data-dir (default $OTGEN_DATA/mnist). Training shows a progress bar on
// a terminal and log lines otherwise; Ctrl-C stops it without saving.
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
in its feature space), prints its test accuracy and saves it. Without --out, only a
full training with the default settings is saved, to the cache that cmd/compare
reads; a training with other settings (a quick try) saves nothing unless --out
names a file.

Examples:
  classifier                                  # full training (~2 min), saved to the cache
  classifier --limit 1000 --epochs 1          # quick try, nothing saved
  classifier --limit 1000 --out quick.otgen   # quick try, saved to quick.otgen
  classifier --evaluate                       # test accuracy of the cached classifier`

// settings are the training flags.
type settings struct {
	seed                 uint64
	epochs, batch, limit int
	lr                   float64
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
	def := classifier.DefaultTrainOptions
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
	def := classifier.DefaultTrainOptions
	var s settings
	out := fs.String("out", "", "checkpoint to write (default: "+classifier.FileName+" in the otgen cache folder, where cmd/compare looks, and only for a full default training)")
	dataDir := fs.String("data-dir", "", "folder of the MNIST IDX files (default $OTGEN_DATA/mnist)")
	fs.Uint64Var(&s.seed, "seed", classifier.DefaultSeed, "seed of the initial weights, the order of the digits and their random shifts")
	fs.IntVar(&s.epochs, "epochs", def.Epochs, "passes over the training digits")
	fs.IntVar(&s.batch, "batch", def.Batch, "digits per step")
	fs.Float64Var(&s.lr, "lr", def.LR, "initial Adam learning rate (cosine decay to zero)")
	fs.IntVar(&s.limit, "limit", 0, "train on the first N training digits only (0: all 60,000; for quick tries)")
	evaluate := fs.Bool("evaluate", false, "do not train: load --out (default: the cache) and print its test accuracy")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	if !*evaluate {
		if err := s.check(); err != nil {
			return err
		}
		if st, err := os.Stat(*out); *out != "" && err == nil && st.IsDir() {
			return fmt.Errorf("--out %s is a directory; want a checkpoint file name", *out)
		}
	}
	cache, err := classifier.DefaultPath()
	if err != nil && *out == "" {
		return err
	}
	dir := *dataDir
	if dir == "" {
		if dir, err = data.DefaultMNISTDir(); err != nil {
			return err
		}
	}
	if *evaluate {
		path := *out
		if path == "" {
			path = cache
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
	info := c.Info()
	fmt.Fprintf(stdout, "test accuracy %.2f%% (trained on %d digits × %d epochs in %.0f s)", 100*info.TestAccuracy, info.TrainExamples, info.Epochs, elapsed.Seconds())
	low := ""
	if info.TestAccuracy < classifier.MinAccuracy {
		low = fmt.Sprintf(" (below the %.0f%% that cmd/compare needs for FID/KID: it will refuse this file)", 100*classifier.MinAccuracy)
	}
	switch {
	case path == "":
		fmt.Fprintf(stdout, "; not saved (pass --out FILE to keep it)\n")
		return nil
	case path == cache && info.TestAccuracy < classifier.MinAccuracy && *out == "":
		fmt.Fprintln(stdout)
		return fmt.Errorf("the default training reached only %.2f%%, below %.0f%%: %s was not written", 100*info.TestAccuracy, 100*classifier.MinAccuracy, cache)
	}
	if err := c.Save(path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "; saved %s%s\n", path, low)
	return nil
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

// train trains a classifier with settings s on the MNIST files in dir,
// showing progress on stderr.
func train(ctx context.Context, stderr io.Writer, tty bool, dir string, s settings) (*classifier.Classifier, time.Duration, error) {
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
	fmt.Fprintf(stderr, "training the MNIST classifier in %s (matrix products: %s)\n", dir, nn.BLAS)
	start := time.Now()
	c, err := classifier.TrainMNIST(ctx, dir, s.seed, opts, epochLog{stderr, tty})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return nil, 0, trimmed{err}
	}
	return c, time.Since(start), nil
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
