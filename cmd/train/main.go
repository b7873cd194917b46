// Command train trains a generative model with one of otgen's losses.
//
// With no flags it trains a generator with the minibatch Wasserstein loss
// (Fatras et al. 2020) on the embedded 8-Gaussians ring — no download — and
// writes runs/<name>/:
// checkpoint.otgen, metrics.csv, config.json, samples.png (generated points
// over the data) and samples/step_*.png.
//
// Usage:
//
//	go run ./cmd/train [flags]
//	go run ./cmd/train --data mnist --loss vae --steps 3000
//	go run ./cmd/train --resume runs/8gaussians-minibatch-w/checkpoint.otgen --steps 4000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"otgen/internal/term"
	"strconv"
	"strings"
	"syscall"

	"otgen/data"
	"otgen/losses"
	"otgen/nn"
	"otgen/train"
)

func main() {
	if err := nn.ReexecWithFastBLAS(); err != nil {
		fmt.Fprintln(os.Stderr, "warning:", err)
	}
	args := os.Args[1:]
	// A test re-executes its own binary as the command: skip test flags.
	for i, a := range args {
		if a == "--" && os.Getenv("OTGEN_TRAIN_CHILD") == "1" {
			args = args[i+1:]
			break
		}
	}
	if err := run(args, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		dataName = fs.String("data", "8gaussians", "training data: "+strings.Join(train.DataNames, ", ")+" (the toys are generated, no download)")
		dataDir  = fs.String("data-dir", "", "folder of a file dataset: MNIST IDX files (default $OTGEN_DATA/mnist) or the CelebA folder holding img_align_celeba/ (default $OTGEN_DATA/celeba)")
		attr     = fs.String("attr", "", "celeba: keep only images with these attributes, e.g. Male=1 or Male=1,Smiling=-1 (needs list_attr_celeba.txt)")
		limit    = fs.Int("limit", 0, "celeba: use only the first N images by file name (0: all); the last 10% are held out")
		arch     = fs.String("arch", "", "network family: mlp or dcgan (convolutional, for mnist and celeba; default mlp, dcgan for celeba)")
		norm     = fs.String("norm", "none", "dcgan normalisation of the encoder and decoder/generator: none or batch (BatchNorm, as DCGAN and the WAE paper; critics keep LayerNorm)")
		channels = fs.Int("channels", 0, "dcgan base channel width, doubled at every stride-2 stage (default 32; celeba 32, use 64 for the WAE paper's widths)")
		lossName = fs.String("loss", "minibatch-w", "loss: "+strings.Join(losses.Names, ", ")+" (aliases: mbw, pot, wae-gan)")
		steps    = fs.Int("steps", 0, "total training iterations (default: 2000 for toys — 1500 for minibatch-w — and 3000 for mnist)")
		batch    = fs.Int("batch", 0, "batch size (default: 256 for toys — 512 for minibatch-w — and 100 for mnist)")
		lr       = fs.Float64("lr", 0, "learning rate (default 1e-3)")
		schedule = fs.String("schedule", "", "learning-rate schedule: constant, linear or cosine (decays to zero at --steps; default linear for minibatch-w on the toys)")
		seed     = fs.Uint64("seed", 1, "seed of every random choice (initial weights, batches, noise)")
		out      = fs.String("out", "", "run folder (default runs/<data>-<loss>)")
		resume   = fs.String("resume", "", "checkpoint to resume; the run continues exactly, with its own settings (only --steps, --out and --data-dir may change)")
		latent   = fs.Int("latent", 0, "latent size (default: 2 for toys, 8 for mnist, 64 for celeba)")
		hidden   = fs.String("hidden", "", "hidden widths, comma separated (default: 128,128,128 for toys, 512,256 for mnist)")
		lambda   = fs.Float64("lambda", 0, "weight of the latent divergence (wae-mmd: 10, aae: 1) or of the gradient penalty (wgan-gp: 10)")
		prior    = fs.String("prior", "gaussian", "latent prior P_Z: gaussian or uniform")
		critic   = fs.String("critic", "", "hidden widths of the critic (wgan, wgan-gp; default: the generator's) or of the latent discriminator (aae; default 64,64)")
		costName = fs.String("cost", "l2sq", "reconstruction cost of aae: l2sq, l2 or l1")
		nCritic  = fs.Int("n-critic", 0, "critic steps per generator step (wgan, wgan-gp: 5; aae: 1)")
		clip     = fs.Float64("clip", 0, "weight clipping bound of wgan (default 0.01)")
		eps      = fs.Float64("eps", 0, "entropic regularisation of the sinkhorn loss (default 0.1)")
		iters    = fs.Int("iters", 0, "Sinkhorn iterations of the sinkhorn loss (default 100)")
		kPairs   = fs.Int("k", 0, "minibatch pairs of minibatch-w (default 16; on the 2-D toys 1 pair with m = batch)")
		mSize    = fs.Int("m", 0, "minibatch size of minibatch-w (default 64, on the 2-D toys the batch; at most --batch)")
		sampleEv = fs.Int("sample-every", -1, "write a sample figure every N steps (0: only at the end)")
		ckptEv   = fs.Int("checkpoint-every", -1, "write a checkpoint every N steps (0: only at the end)")
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: train [flags]

Trains a generative model and writes a run folder: checkpoint.otgen,
metrics.csv, config.json and sample figures. Ctrl-C writes a checkpoint and
stops; --resume continues from it exactly.

Examples:
  train                                   # minibatch Wasserstein on the 8-Gaussians ring, < 1 minute
  train --loss wgan-gp --lambda 0.1       # WGAN-GP, as in gan_toy.py
  train --data mnist --loss vae           # VAE on MNIST ($OTGEN_DATA/mnist)
  train --data mnist --arch dcgan --loss wgan-gp   # conv generator and critic
  train --data celeba --loss wae-mmd --attr Male=1 # DCGAN on 64x64 faces ($OTGEN_DATA/celeba)
  train --resume runs/8gaussians-minibatch-w/checkpoint.otgen --steps 4000

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	var (
		r   *train.Run
		err error
	)
	if *resume != "" {
		for _, name := range []string{"data", "attr", "limit", "arch", "channels", "norm", "loss", "batch", "lr", "seed", "latent", "hidden", "lambda", "prior", "critic", "cost", "schedule", "n-critic", "clip", "eps", "iters", "k", "m"} {
			if set[name] {
				return fmt.Errorf("--%s cannot change when resuming: the checkpoint's settings are used", name)
			}
		}
		r, err = train.Resume(*resume, func(c *train.Config) {
			if set["steps"] {
				c.Steps = *steps
			}
			if set["out"] {
				c.Out = *out
			}
			if set["data-dir"] {
				c.Data.Dir = *dataDir
			}
			if *sampleEv >= 0 {
				c.SampleEvery = *sampleEv
			}
			if *ckptEv >= 0 {
				c.CheckpointEvery = *ckptEv
			}
		})
		if err != nil {
			return err
		}
	} else {
		*lossName = losses.Canonical(*lossName)
		cfg, err := train.DefaultConfig(*dataName, *lossName)
		if err != nil {
			return err
		}
		cfg.Data.Dir = *dataDir
		if set["attr"] {
			if *dataName != "celeba" {
				return fmt.Errorf("--attr: only celeba has attributes")
			}
			if _, err := data.ParseAttrFilter(*attr); err != nil {
				return fmt.Errorf("--attr: %w", err)
			}
			cfg.Data.Attr = *attr
		}
		if set["limit"] {
			if *dataName != "celeba" || *limit < 0 {
				return fmt.Errorf("--limit: a number of images >= 0, for celeba")
			}
			cfg.Data.Limit = *limit
		}
		if set["arch"] {
			cfg.Model.Arch = *arch
		}
		if set["channels"] {
			if cfg.Model.Arch != "dcgan" {
				return fmt.Errorf("--channels: only for --arch dcgan")
			}
			cfg.Model.Channels = *channels
		}
		if set["norm"] {
			if cfg.Model.Arch != "dcgan" && *norm != "none" {
				return fmt.Errorf("--norm %s: only for --arch dcgan", *norm)
			}
			cfg.Model.Norm = *norm
		}
		cfg.Seed = *seed
		cfg.Out = *out
		if cfg.Out == "" {
			cfg.Out = "runs/" + *dataName + "-" + *lossName
		}
		if set["steps"] {
			cfg.Steps = *steps
		}
		if set["batch"] {
			cfg.Batch = *batch
		}
		if set["lr"] {
			cfg.LR = *lr
		}
		if set["latent"] {
			cfg.Model.Latent = *latent
		}
		if set["hidden"] {
			ws, err := parseInts(*hidden)
			if err != nil {
				return fmt.Errorf("--hidden: %w", err)
			}
			cfg.Model.Hidden = ws
		}
		if set["critic"] {
			ws, err := parseInts(*critic)
			if err != nil {
				return fmt.Errorf("--critic: %w", err)
			}
			if len(cfg.Model.Critic) == 0 {
				return fmt.Errorf("--critic: loss %s has no critic", cfg.Loss.Name)
			}
			cfg.Model.Critic = ws
		}
		cfg.Model.Prior = *prior
		if set["schedule"] {
			cfg.Schedule = *schedule
		}
		floats := map[string]*float64{"lambda": &cfg.Loss.Lambda, "clip": &cfg.Loss.Clip, "eps": &cfg.Loss.Eps}
		vals := map[string]float64{"lambda": *lambda, "clip": *clip, "eps": *eps}
		for name, dst := range floats {
			if set[name] {
				*dst = vals[name]
			}
		}
		ints := map[string]*int{"n-critic": &cfg.Loss.NCritic, "iters": &cfg.Loss.Iters, "k": &cfg.Loss.K, "m": &cfg.Loss.M}
		ivals := map[string]int{"n-critic": *nCritic, "iters": *iters, "k": *kPairs, "m": *mSize}
		for name, dst := range ints {
			if set[name] {
				*dst = ivals[name]
			}
		}
		if set["cost"] {
			cfg.Loss.Cost = *costName
		}
		if cfg.Loss.Name == "minibatch-w" && !set["m"] && cfg.Loss.M > cfg.Batch {
			cfg.Loss.M = cfg.Batch // a smaller --batch shrinks the default minibatch
		}
		if *sampleEv >= 0 {
			cfg.SampleEvery = *sampleEv
		}
		if *ckptEv >= 0 {
			cfg.CheckpointEvery = *ckptEv
		}
		if _, err := os.Stat(cfg.Out + "/" + train.CheckpointName); err == nil {
			return fmt.Errorf("%s already holds a run; use --resume %s/%s to continue it or --out for a new one", cfg.Out, cfg.Out, train.CheckpointName)
		}
		r, err = train.New(cfg)
		if err != nil {
			return err
		}
	}
	defer r.Close()
	r.Progress = stderr
	r.TTY = term.IsTerminal(stderr)

	if w := nn.BLASWarning(); w != "" {
		fmt.Fprintln(stderr, "warning:", w)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := r.Config
	fmt.Fprintf(stdout, "training %s on %s: %d steps, batch %d, seed %d -> %s\n", cfg.Loss.Name, cfg.Data.Name, cfg.Steps, cfg.Batch, cfg.Seed, cfg.Out)
	err = r.Train(ctx)
	if errors.Is(err, train.ErrInterrupted) {
		fmt.Fprintf(stdout, "interrupted at step %d; resume with: go run ./cmd/train --resume %s\n", r.Step(), r.CheckpointPath())
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done: step %d, %s\n", r.Step(), summary(r.Metrics()))
	fmt.Fprintf(stdout, "checkpoint %s, samples %s/samples.png, metrics %s/%s\n", r.CheckpointPath(), cfg.Out, cfg.Out, train.MetricsName)
	return nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func summary(m map[string]float64) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%.4g", k, v))
	}
	sortStrings(parts)
	return strings.Join(parts, " ")
}
