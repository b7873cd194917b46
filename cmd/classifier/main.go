// Command classifier trains otgen's LeNet-style MNIST classifier (package
// classifier) on the MNIST training split, prints its accuracy on the test
// split and saves it as a checkpoint, the one whose features and labels
// package eval uses for FID, KID and label coverage.
//
// Usage:
//
//	go run ./cmd/classifier                      # train, save to the default path
//	go run ./cmd/classifier --out lenet.otgen    # train, save there
//	go run ./cmd/classifier --evaluate --out lenet.otgen
//
// The default path is lenet-mnist.otgen in the folder otgen of the user's
// cache folder ($XDG_CACHE_HOME or ~/.cache), where classifier.LoadOrTrain
// looks for it. MNIST is read from --data-dir (default $OTGEN_DATA/mnist).
// Training shows a progress bar on a terminal and log lines otherwise;
// Ctrl-C stops it without saving.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"otgen/internal/cli"
	"otgen/internal/progress"
	"otgen/internal/term"
	"path/filepath"
	"time"

	"otgen/classifier"
	"otgen/data"
	"otgen/nn"
)

func main() {
	cli.Main("classifier", os.Args[1:], func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return run(ctx, args, stdout, stderr, term.IsTerminal(stderr))
	}, nn.ReexecWithFastBLAS)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) error {
	fs := flag.NewFlagSet("classifier", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := classifier.DefaultTrainOptions
	var (
		out      = fs.String("out", "", "checkpoint to write (default: "+classifier.FileName+" in the otgen cache folder, where classifier.LoadOrTrain looks)")
		dataDir  = fs.String("data-dir", "", "folder of the MNIST IDX files (default $OTGEN_DATA/mnist)")
		seed     = fs.Uint64("seed", classifier.DefaultSeed, "seed of the initial weights, the order of the digits and their random shifts")
		epochs   = fs.Int("epochs", def.Epochs, "passes over the training digits")
		batch    = fs.Int("batch", def.Batch, "digits per step")
		lr       = fs.Float64("lr", def.LR, "initial Adam learning rate (cosine decay to zero)")
		limit    = fs.Int("limit", 0, "train on the first N training digits only (0: all 60,000; for quick tries)")
		evaluate = fs.Bool("evaluate", false, "do not train: load --out and print its test accuracy")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	path := *out
	if path == "" {
		p, err := classifier.DefaultPath()
		if err != nil {
			return err
		}
		path = p
	}
	dir := *dataDir
	if dir == "" {
		d, err := data.DefaultMNISTDir()
		if err != nil {
			return err
		}
		dir = d
	}
	test, err := data.LoadMNIST(dir, "test")
	if err != nil {
		return err
	}
	if *evaluate {
		c, err := classifier.Load(path)
		if err != nil {
			return err
		}
		acc, err := c.Evaluate(test)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: test accuracy %.2f%% (%d digits; recorded at training: %.2f%%)\n", path, 100*acc, test.Len(), 100*c.Info().TestAccuracy)
		return nil
	}
	// Fail on an unwritable destination before training, not after.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	opts := classifier.TrainOptions{Epochs: *epochs, Batch: *batch, LR: *lr, Limit: *limit}
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
	c, err := classifier.TrainMNIST(ctx, dir, *seed, opts, epochLog{stderr, tty})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	if err := c.Save(path); err != nil {
		return err
	}
	info := c.Info()
	fmt.Fprintf(stdout, "test accuracy %.2f%% (trained on %d digits × %d epochs in %.0f s); saved %s\n",
		100*info.TestAccuracy, info.TrainExamples, info.Epochs, time.Since(start).Seconds(), path)
	return nil
}

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
