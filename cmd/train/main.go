// Command train trains a generative model with one of otgen's losses.
//
// With no flags it trains a generator with the minibatch Wasserstein loss
// (Fatras et al. 2020) on the embedded 8-Gaussians ring — no download — and
// writes runs/<name>/:
// checkpoint.otgen, metrics.csv, config.json, samples.png (generated points
// over the data) and samples/step_*.png.
//
// The defaults depend on the data, the loss and some of its settings:
// `train --data mnist --loss wgan-gp --help` prints the ones that run would
// use, and so does `train --data mnist --loss sinkhorn-gan --cost
// sqeuclidean --help` (ε 1, not the image cost's 100).
//
// Usage:
//
//	go run ./cmd/train [flags]
//	go run ./cmd/train --data mnist --loss vae --steps 3000
//	go run ./cmd/train --resume runs/8gaussians-minibatch-w/checkpoint.otgen --steps 4000
//
// Built with -tags mpi (OpenMPI), it trains data-parallel under mpirun or
// srun: `mpirun -np 4 ./train --batch 256 ...` runs 4 ranks of 64 examples
// each (--batch is the global batch); rank 0 alone writes and reports.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"otgen/data"
	"otgen/dist"
	"otgen/fetch"
	"otgen/internal/cli"
	"otgen/internal/lossflags"
	"otgen/internal/term"
	"otgen/losses"
	"otgen/models"
	"otgen/nn"
	"otgen/train"
)

func main() {
	args := os.Args[1:]
	// A test re-executes its own binary as the command: skip test flags.
	for i, a := range args {
		if a == "--" && os.Getenv("OTGEN_TRAIN_CHILD") == "1" {
			args = args[i+1:]
			break
		}
	}
	cli.Main("train", args, run, nn.ReexecWithFastBLAS)
}

const header = `Usage: train [flags]

Trains a generative model and writes a run folder: checkpoint.otgen,
metrics.csv, config.json and sample figures. Ctrl-C writes a checkpoint and
stops; --resume continues from it exactly. The defaults below are those of
the chosen --data, --loss and --arch, and of the flags given before --help:
"train --data mnist --loss vae --help" shows that run's.

Examples:
  train                                   # minibatch Wasserstein on the 8-Gaussians ring, < 1 minute
  train --loss wgan-gp                    # WGAN-GP, as in gan_toy.py
  train --data mnist --loss vae           # VAE on MNIST ($OTGEN_DATA/mnist)
  train --data mnist --arch dcgan --loss wgan-gp   # conv generator and critic
  train --data celeba --loss wae-mmd --attr Male=1 # DCGAN on 64x64 faces ($OTGEN_DATA/celeba)
  train --resume runs/8gaussians-minibatch-w/checkpoint.otgen --steps 4000`

// resumable lists the flags that --resume accepts with a new value; any
// other flag must repeat the checkpoint's value.
var resumable = []string{"steps", "time", "out", "data-dir", "download", "sample-every", "checkpoint-every"}

// firstPass holds the flags read before the defaults are known.
type firstPass struct {
	data, loss, arch, resume string
	set                      map[string]bool
}

// scanFirst reads --data, --loss, --arch and --resume from args (in any of
// the flag package's spellings) without parsing the rest.
func scanFirst(args []string) firstPass {
	fp := firstPass{data: "8gaussians", loss: "minibatch-w", set: map[string]bool{}}
	dst := map[string]*string{"data": &fp.data, "loss": &fp.loss, "arch": &fp.arch, "resume": &fp.resume}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		p, ok := dst[name]
		if !ok {
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				continue // the flag package reports the missing value
			}
			i++
			val = args[i]
		}
		*p = val
		fp.set[name] = true
	}
	return fp
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	comm, err := dist.World()
	if err != nil {
		return err
	}
	defer func() { err = comm.End("train", err) }()
	if comm.Rank() != 0 {
		// Rank 0 alone reports; the other ranks of a job train silently.
		stdout, stderr = io.Discard, io.Discard
	}
	fp := scanFirst(args)
	var (
		cfg  train.Config
		spec *losses.Spec
	)
	if fp.resume != "" {
		if cfg, err = train.ReadConfig(fp.resume); err != nil {
			return err
		}
	} else {
		if cfg, err = train.DefaultConfig(fp.data, losses.Canonical(fp.loss)); err != nil {
			return err
		}
		if fp.arch != "" {
			if err := cfg.UseArch(fp.arch); err != nil {
				return err
			}
		}
		cfg.Out = filepath.Join("runs", cfg.Data.Name+"-"+cfg.Loss.Name)
	}
	if spec, err = losses.Lookup(cfg.Loss.Name); err != nil {
		return err
	}
	before := cfg
	fs, budget, download := newFlags(stderr, &cfg, spec, fp, false)
	help, err := parse(fs, args)
	if err != nil {
		return err
	}
	set := cli.Explicit(fs)
	if set["time"] {
		if err := useBudget(&cfg, *budget, set["steps"]); err != nil {
			return err
		}
	}
	if fp.resume == "" {
		// A new run's settings, complete: the loss's defaults given the
		// flags set (sinkhorn-gan's ε follows --cost, its feature
		// dimension and rate --critic-loss), which --help shows.
		if err := rederive(fs, &cfg, set); err != nil {
			return err
		}
		if err := finish(&cfg, set); err != nil {
			return err
		}
	}
	if help {
		shown, _, _ := newFlags(stderr, &cfg, spec, fp, *download)
		shown.Usage()
		return flag.ErrHelp
	}

	if *download && comm.Size() > 1 {
		// Every rank would write the same files at once.
		return dist.Shared(fmt.Errorf("--download: not in a job of %d ranks; fetch the data first (go run ./cmd/data, or train --download as one process)", comm.Size()))
	}
	if *download && len(cfg.Model.DataShape) == 3 {
		// The folder is resolved the same way when the run reads it.
		if _, err := fetch.Ensure(ctx, cfg.Data.Name, cfg.Data.Dir, &fetch.Options{Log: stderr, TTY: term.IsTerminal(stderr)}); err != nil {
			return fmt.Errorf("--download: %w", err)
		}
	}
	var r *train.Run
	if fp.resume != "" {
		if err := checkResumeFlags(fs, set, before, fp); err != nil {
			return err
		}
		r, err = train.Resume(fp.resume, func(c *train.Config) {
			c.Comm = comm
			c.Steps, c.Out, c.Data.Dir = cfg.Steps, cfg.Out, cfg.Data.Dir
			c.TimeBudget = cfg.TimeBudget
			c.SampleEvery, c.CheckpointEvery = cfg.SampleEvery, cfg.CheckpointEvery
		})
	} else {
		cfg.Comm = comm
		r, err = train.New(cfg)
	}
	if err != nil {
		return err
	}
	defer r.Close()
	r.Progress = stderr
	r.TTY = term.IsTerminal(stderr)

	if w := nn.BLASWarning(); w != "" {
		fmt.Fprintln(stderr, "warning:", w)
	}
	cfg = r.Config
	if r.Step() >= cfg.Steps && cfg.TimeBudget > 0 && r.WallTime() >= cfg.TimeBudget {
		fmt.Fprintf(stdout, "the run spent its %v budget at step %d: nothing to train, nothing written (raise --time to continue)\n", budgetText(cfg.TimeBudget), r.Step())
		return nil
	}
	if r.Step() >= cfg.Steps {
		fmt.Fprintf(stdout, "the run is already at step %d of %d: nothing to train, nothing written (raise --steps to continue)\n", r.Step(), cfg.Steps)
		return nil
	}
	batch := fmt.Sprint(cfg.Batch)
	if r.Ranks() > 1 {
		batch = fmt.Sprintf("%d (global: %d per rank × %d ranks)", cfg.Batch, r.LocalBatch(), r.Ranks())
	}
	length := fmt.Sprintf("%d steps", cfg.Steps)
	if cfg.TimeBudget > 0 {
		length = budgetText(cfg.TimeBudget) + " of training"
		if cfg.Steps < train.UnlimitedSteps {
			length += fmt.Sprintf(" or %d steps", cfg.Steps)
		}
	}
	fmt.Fprintf(stdout, "training %s on %s: %s, batch %s, seed %d -> %s\n", cfg.Loss.Name, cfg.Data.Name, length, batch, cfg.Seed, cfg.Out)
	if note := r.ResumeNote(); note != "" {
		fmt.Fprintln(stdout, "note:", note)
	}
	err = r.Train(ctx)
	if errors.Is(err, train.ErrInterrupted) {
		fmt.Fprintf(stdout, "interrupted at step %d; resume with: go run ./cmd/train --resume %s\n", r.Step(), r.CheckpointPath())
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done: step %d, %s\n", r.Step(), summary(r.Metrics()))
	fmt.Fprintf(stdout, "checkpoint %s, samples %s, metrics %s\n", r.CheckpointPath(),
		filepath.Join(cfg.Out, "samples.png"), filepath.Join(cfg.Out, train.MetricsName))
	return nil
}

// newFlags returns the command's flag set, every flag bound to the field of
// cfg it sets (see bind), and the two flags that are not settings of the
// run: --time (read into cfg by useBudget) and --download.
func newFlags(stderr io.Writer, cfg *train.Config, spec *losses.Spec, fp firstPass, download bool) (*flag.FlagSet, *time.Duration, *bool) {
	fs := cli.NewFlagSet("train", stderr, header)
	bind(fs, cfg, spec, fp)
	budget := fs.Duration("time", time.Duration(cfg.TimeBudget*float64(time.Second)), "stop after this much training, e.g. 30m: the wall time of the training steps over every resumption (evaluations, figures and checkpoints not counted); --steps then caps it (0: no budget)")
	dl := fs.Bool("download", download, "fetch a missing dataset (mnist, fashion-mnist) from its public mirrors into --data-dir, $OTGEN_DATA/<data> or the user cache, verified by SHA-256 (see cmd/data)")
	return fs, budget, dl
}

// parse parses args into fs. A request for help (-h, --help) is returned
// as help = true, the flags before it parsed, instead of printing the
// usage at once: the caller prints it with the defaults those flags lead
// to. Other parse errors print the usage, as the flag package does.
func parse(fs *flag.FlagSet, args []string) (help bool, err error) {
	usage, failed := fs.Usage, false
	fs.Usage = func() { failed = true }
	err = cli.Parse(fs, args, 0)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		return true, nil
	}
	if failed {
		usage()
	}
	return false, err
}

// bind defines every flag on fs, bound to the field of cfg it sets, so
// that the defaults --help prints are cfg's values: those of the chosen
// data, loss and architecture, or of the checkpoint being resumed.
func bind(fs *flag.FlagSet, cfg *train.Config, spec *losses.Spec, fp firstPass) {
	// The first-pass flags are parsed again only so that the flag package
	// accepts them; their values were read by scanFirst.
	var ignored string
	fs.StringVar(&ignored, "data", cfg.Data.Name, "training data: "+strings.Join(train.DataNames, ", ")+" (the toys are generated, no download)")
	fs.StringVar(&ignored, "loss", cfg.Loss.Name, "loss: "+strings.Join(losses.Names(), ", ")+" (aliases: "+strings.Join(losses.Aliases(), ", ")+")")
	fs.StringVar(&ignored, "arch", cfg.Model.Arch, "network family: mlp or dcgan (convolutional, for mnist and celeba)")
	fs.StringVar(&ignored, "resume", fp.resume, "checkpoint to resume; the run continues exactly, in the checkpoint's folder, with its own settings (only --"+strings.Join(resumable, ", --")+" may change)")

	fs.StringVar(&cfg.Data.Dir, "data-dir", cfg.Data.Dir, "folder of a file dataset: MNIST IDX files (default $OTGEN_DATA/mnist) or the CelebA folder holding img_align_celeba/ (default $OTGEN_DATA/celeba)")
	fs.StringVar(&cfg.Data.Attr, "attr", cfg.Data.Attr, "celeba: keep only images with these attributes, e.g. Male=1 or Male=1,Smiling=-1 (needs list_attr_celeba.txt)")
	fs.IntVar(&cfg.Data.Limit, "limit", cfg.Data.Limit, "celeba: use only the first N images by file name (0: all); the last 10% are held out")
	fs.IntVar(&cfg.Steps, "steps", cfg.Steps, "total training iterations")
	fs.IntVar(&cfg.Batch, "batch", cfg.Batch, "batch size")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "learning rate")
	fs.Var(cli.OneOf(&cfg.Schedule, "", "constant", "linear", "cosine"), "schedule", "learning-rate schedule: constant, linear or cosine (decays to zero at --steps)")
	fs.Float64Var(&cfg.EMA, "ema", cfg.EMA, "decay of a moving average of the generator's weights, kept beside them in the checkpoint and used for the samples, the evaluation and cmd/sample, e.g. 0.999 (0: none)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of every random choice (initial weights, batches, noise)")
	fs.StringVar(&cfg.Out, "out", cfg.Out, "run folder (a resumed run: the checkpoint's folder, or a new empty one)")
	fs.IntVar(&cfg.SampleEvery, "sample-every", cfg.SampleEvery, "write a sample figure every N steps (0: only at the end)")
	fs.IntVar(&cfg.CheckpointEvery, "checkpoint-every", cfg.CheckpointEvery, "write a checkpoint every N steps (0: only at the end)")

	fs.IntVar(&cfg.Model.Latent, "latent", cfg.Model.Latent, "latent size")
	fs.Var((*cli.Ints)(&cfg.Model.Hidden), "hidden", "hidden widths of the MLPs, comma separated (mlp)")
	fs.Var((*cli.Ints)(&cfg.Model.Critic), "critic", "hidden widths of the data critic (wgan, wgan-gp, sinkhorn-gan, minibatch-w-gan with mlp) or of the latent discriminator (aae)")
	fs.Var(cli.OneOf(&cfg.Model.Prior, models.PriorGaussian, models.PriorUniform), "prior", "latent prior P_Z: gaussian or uniform")
	fs.IntVar(&cfg.Model.Channels, "channels", cfg.Model.Channels, "dcgan base channel width, doubled at every stride-2 stage (0: 32 for 28x28, 64 for 64x64)")
	fs.Var(cli.OneOf(&cfg.Model.Norm, "", "none", "batch"), "norm", "dcgan normalisation of the encoder and decoder/generator: none or batch (BatchNorm; critics keep LayerNorm)")
	fs.Var(cli.OneOf(&cfg.Model.CriticNorm, "", "layer", "none"), "critic-norm", "dcgan critic normalisation: layer (LayerNorm after every convolution but the first) or none (the plain DCGAN critic)")

	lossflags.Bind(fs, &cfg.Loss, spec)
}

// checkResumeFlags refuses, on --resume, a flag outside resumable whose
// value differs from the checkpoint's (repeating the same value is fine).
func checkResumeFlags(fs *flag.FlagSet, set map[string]bool, ckpt train.Config, fp firstPass) error {
	allowed := map[string]bool{"resume": true}
	for _, n := range resumable {
		allowed[n] = true
	}
	same := map[string]bool{
		"data": fp.data == ckpt.Data.Name,
		"loss": losses.Canonical(fp.loss) == ckpt.Loss.Name,
		"arch": fp.arch == ckpt.Model.Arch,
	}
	var names []string
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if allowed[n] {
			continue
		}
		f := fs.Lookup(n)
		unchanged, first := same[n]
		if !first {
			unchanged = f.Value.String() == f.DefValue
		}
		if !unchanged {
			return fmt.Errorf("--%s cannot change when resuming (the checkpoint has %s); a resumed run keeps its settings, only --%s may change",
				n, f.DefValue, strings.Join(resumable, ", --"))
		}
	}
	return nil
}

// rederive refills the loss settings the user did not set from the loss's
// defaults given those they did set (lossflags.Derive): sinkhorn-gan's ε is
// 100 for its image cost, euclidean, and 1 for sqeuclidean; so does the
// learning rate unless --lr is set (sinkhorn-gan's on MNIST follows its
// critic loss). Without a loss flag nothing changes.
func rederive(fs *flag.FlagSet, cfg *train.Config, set map[string]bool) error {
	given := map[string]string{}
	for _, st := range losses.Settings {
		if set[st.Flag] {
			given[st.Flag] = fs.Lookup(st.Flag).Value.String()
		}
	}
	return lossflags.DeriveRun(cfg, given, set["lr"])
}

// finish checks the settings that only make sense together and lets the
// loss adapt its defaults to a batch size the user chose.
func finish(cfg *train.Config, set map[string]bool) error {
	if set["attr"] {
		if cfg.Data.Name != "celeba" {
			return fmt.Errorf("--attr: only celeba has attributes")
		}
		if _, err := data.ParseAttrFilter(cfg.Data.Attr); err != nil {
			return fmt.Errorf("--attr: %w", err)
		}
	}
	if set["limit"] && (cfg.Data.Name != "celeba" || cfg.Data.Limit < 0) {
		return fmt.Errorf("--limit %d: a number of images >= 0, for celeba", cfg.Data.Limit)
	}
	if set["channels"] && cfg.Model.Arch != "dcgan" {
		return fmt.Errorf("--channels: only for --arch dcgan")
	}
	if set["norm"] && cfg.Model.Arch != "dcgan" && cfg.Model.Norm == "batch" {
		return fmt.Errorf("--norm batch: only for --arch dcgan")
	}
	if set["critic-norm"] && (cfg.Model.Arch != "dcgan" || cfg.Model.CriticOn != models.CriticOnData) {
		return fmt.Errorf("--critic-norm: only for --arch dcgan and a loss with a critic on the data (wgan, wgan-gp, sinkhorn-gan, minibatch-w-gan)")
	}
	if set["critic"] && cfg.Model.CriticOn == models.CriticNone {
		return fmt.Errorf("--critic: loss %s has no critic", cfg.Loss.Name)
	}
	if set["sample-every"] && cfg.SampleEvery < 0 || set["checkpoint-every"] && cfg.CheckpointEvery < 0 {
		return fmt.Errorf("--sample-every %d, --checkpoint-every %d: want >= 0", cfg.SampleEvery, cfg.CheckpointEvery)
	}
	if set["batch"] && !set["m"] {
		losses.FitBatch(&cfg.Loss, cfg.Batch)
	}
	// The loss configured the model with its default settings; a flag
	// such as --feature-dim changes what it asks of the model (checked
	// first, so that a bad value is reported as the loss setting it is).
	if err := cfg.Loss.Validate(); err != nil {
		return err
	}
	return losses.ConfigureModel(cfg.Loss, &cfg.Model)
}

// useBudget sets the run's wall-clock budget from --time; without --steps
// the budget alone ends the run. A schedule that decays to zero at the
// last step needs that step, so it needs --steps.
func useBudget(cfg *train.Config, budget time.Duration, stepsSet bool) error {
	if budget < 0 {
		return fmt.Errorf("--time %v: want >= 0", budget)
	}
	cfg.TimeBudget = budget.Seconds()
	if budget > 0 && !stepsSet {
		if cfg.Schedule == "linear" || cfg.Schedule == "cosine" {
			return fmt.Errorf("--time %v without --steps: the %s learning-rate schedule decays to zero at --steps, so give --steps too (a cap) or --schedule constant", budget, cfg.Schedule)
		}
		cfg.Steps = train.UnlimitedSteps
	}
	return nil
}

// budgetText writes a budget in seconds as a duration, e.g. 30m0s.
func budgetText(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}

func summary(m map[string]float64) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%.4g", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
