// Command compare trains several losses on the same data, seed and step
// budget, one after another or --jobs at a time, evaluates them with the same metrics and
// writes a table and figures.
//
// Output, in --out (default runs/compare-<data>):
//   - one ordinary run folder per loss and seed (cmd/sample opens them; an
//     interrupted compare resumes the unfinished ones);
//   - results.csv and results.json: one row per loss and seed;
//   - samples.png: a scatter (2-D) or image grid per loss, side by side;
//   - curves.png: the main metric against the step, one curve per loss.
//
// The Markdown table on stdout gives, per loss, the mean and spread over
// the seeds of each metric, the steps, the wall time and the step time.
//
// Usage:
//
//	go run ./cmd/compare
//	go run ./cmd/compare --losses minibatch-w,sinkhorn,wgan-gp --steps 3000 --seeds 1,2,3
//
// Built with -tags mpi and started by an MPI launcher (mpirun -np N, srun
// --mpi=pmix), the runs are spread over the N ranks: rank r trains runs r,
// r+N, ... of the list (losses within seeds), each as one process in its
// own folder, and computes their final metrics; rank 0 alone prepares the
// output folder, gathers the results and writes the table and figures.
// The table is that of one process, timings aside.
//
//	mpirun -np 4 ./compare --losses minibatch-w,sinkhorn,wgan-gp,vae --steps 3000
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"otgen/dist"
	"otgen/internal/atomicfile"
	"otgen/internal/cli"
	"otgen/internal/results"
	"otgen/internal/term"
	"otgen/models"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"otgen/losses"
	"otgen/nn"
	"otgen/scores"
	"otgen/train"
	"otgen/viz"
)

func main() {
	cli.Main("compare", os.Args[1:], runJob, nn.ReexecWithFastBLAS)
}

// options are the settings shared by every run of a comparison.
type options struct {
	losses  []string
	data    string
	dataDir string
	steps   int
	batch   int
	seeds   []uint64
	out     string
	hidden  []int
	// arch is the network family of every run ("mlp", "dcgan"; "": the
	// dataset's default).
	arch string
	// channels is the dcgan base width (0: the dataset's default); limit
	// keeps the first CelebA images only (0: all).
	channels, limit int
	// evalEvery is the evaluation period (0: steps/10, or 100 steps with
	// a time budget).
	evalEvery int
	// budget is the wall-clock budget of every run in seconds (0: none).
	budget float64
	// ema is the decay of every run's moving average of its generator
	// (train.Config.EMA; 0: none).
	ema float64
	// set holds the settings --set gives single losses, by loss.
	set map[string]lossSettings
}

// result is one finished run.
type result = results.Result

// run is runContext without cancellation (for tests).
func run(args []string, stdout, stderr io.Writer) error {
	return runContext(context.Background(), args, stdout, stderr)
}

// afterRun, when set (by tests), is called after each finished run.
var afterRun func(result)

// runJob runs the comparison on the ranks of the job that started this
// process: one rank for a process started without an MPI launcher.
func runJob(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	comm, err := dist.World()
	if err != nil {
		return err
	}
	return comm.End("compare", runOn(ctx, comm, args, stdout, stderr))
}

// runContext is run with the interruption signalled by ctx, as one process.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runOn(ctx, dist.Single(), args, stdout, stderr)
}

// plan is a checked comparison: its options, the configuration of every
// run (by key) and the command's other settings.
type plan struct {
	o       options
	cfgs    map[string]train.Config
	jobs    int
	fresh   bool
	clfPath string
}

// parse reads and checks the flags and every run's configuration, before
// anything is trained or written.
func parse(args []string, stderr io.Writer) (*plan, error) {
	fs := cli.NewFlagSet("compare", stderr, "Usage: compare [flags]\n\nTrains each loss with the same data, seed and budget and prints a table.\nRerunning the same command resumes unfinished runs and reuses finished ones;\na rerun with other settings is refused (or starts over with --fresh).")
	lossList := cli.Strings(losses.Names())
	fs.Var(&lossList, "losses", "comma-separated losses, or their aliases")
	data := fs.String("data", "8gaussians", "data: "+strings.Join(train.DataNames, ", "))
	dataDir := fs.String("data-dir", "", "folder of a file dataset (default $OTGEN_DATA/<data>)")
	steps := fs.Int("steps", 1000, "training iterations per loss (with --time: a cap, default none)")
	budget := fs.Duration("time", 0, "equal wall-clock budget per loss and seed, e.g. 20m (0: none; --steps alone gives equal steps, which favours the expensive losses); without --steps every learning rate stays constant (a decaying schedule needs the last step)")
	ema := fs.Float64("ema", 0, "decay of every run's moving average of its generator weights, which the scores and figures then use, e.g. 0.999 (0: none)")
	batch := fs.Int("batch", 0, "batch size of every loss (0: the dataset's, as train's: 256 for the 2-D toys, 100 for mnist and fashion-mnist, 64 for celeba)")
	var sets settingList
	fs.Var(&sets, "set", "a setting of one loss, LOSS.SETTING=VALUE with SETTING the learning rate lr or a loss setting of cmd/train (lambda, n-critic, eps, cost, ...); repeat the flag or separate with commas, e.g. --set wgan-gp.n-critic=1,wgan-gp.lr=2e-4 (default: every loss's own defaults)")
	seeds := cli.Uints{1}
	fs.Var(&seeds, "seeds", "comma-separated seeds; each loss runs once per seed")
	seed := fs.Uint64("seed", 1, "one seed (the one-seed form of --seeds)")
	out := fs.String("out", "", "output folder (default runs/compare-<data>)")
	var hidden cli.Ints
	fs.Var(&hidden, "hidden", "hidden widths of every network (default: the dataset's)")
	evalEvery := fs.Int("eval-every", 0, "evaluate every N steps for the curves (0: steps/10)")
	arch := fs.String("arch", "", "network family of every run: mlp or dcgan (convolutional, for mnist and celeba; default: the dataset's)")
	channels := fs.Int("channels", 0, "dcgan base channel width (0: the dataset's)")
	limit := fs.Int("limit", 0, "celeba: use only the first N images (0: all)")
	clfPath := fs.String("classifier", "", "classifier checkpoint for FID and KID: the MNIST LeNet (also label KL) or, for celeba, the attribute classifier (default: the cache path; trained there first when missing, ~2 min for MNIST, ~3 min for CelebA)")
	jobs := fs.Int("jobs", 1, "runs trained at the same time (each uses its own goroutines; results do not depend on it, timings do)")
	fresh := fs.Bool("fresh", false, "start over: move the existing --out folder aside (to <out>.previous-<time>) instead of resuming its runs")
	if err := cli.Parse(fs, args, 0); err != nil {
		return nil, err
	}
	set := cli.Explicit(fs)
	if set["seed"] {
		if set["seeds"] {
			return nil, errors.New("--seed and --seeds: give one of them")
		}
		seeds = cli.Uints{*seed}
	}
	if *batch == 0 {
		*batch = train.DefaultBatch(*data)
	}
	if *budget < 0 {
		return nil, fmt.Errorf("--time %v, want >= 0", *budget)
	}
	if *budget > 0 && !set["steps"] {
		*steps = train.UnlimitedSteps
	}
	o := options{budget: budget.Seconds(), data: *data, dataDir: *dataDir, steps: *steps, batch: *batch, out: *out, evalEvery: *evalEvery, arch: *arch, channels: *channels, limit: *limit, hidden: hidden, ema: *ema}
	given := map[string]string{}
	for _, l := range lossList {
		spec, err := losses.Lookup(l)
		if err != nil {
			return nil, fmt.Errorf("--losses: %w", err)
		}
		if prev, dup := given[spec.Name]; dup {
			return nil, fmt.Errorf("--losses: %s is given twice (%s and %s): each loss runs once per seed", spec.Name, prev, l)
		}
		given[spec.Name] = l
		o.losses = append(o.losses, spec.Name)
	}
	if len(o.losses) == 0 {
		return nil, errors.New("--losses is empty")
	}
	var err error
	if o.set, err = parseSettings(sets, o.losses); err != nil {
		return nil, err
	}
	seen := map[uint64]bool{}
	for _, s := range seeds {
		if seen[s] {
			return nil, fmt.Errorf("--seeds: seed %d is given twice (a repeated seed is the same run, not another sample)", s)
		}
		seen[s] = true
	}
	o.seeds = seeds
	if len(o.seeds) == 0 {
		return nil, errors.New("--seeds is empty")
	}
	if o.steps <= 0 {
		return nil, fmt.Errorf("--steps %d, want > 0", o.steps)
	}
	if *channels < 0 || *limit < 0 {
		return nil, fmt.Errorf("--channels %d, --limit %d: want >= 0", *channels, *limit)
	}
	switch *arch {
	case "", "mlp", "dcgan":
	default:
		return nil, fmt.Errorf("--arch %q, want mlp or dcgan", *arch)
	}
	if *jobs < 1 {
		return nil, fmt.Errorf("--jobs %d, want >= 1", *jobs)
	}
	if o.out == "" {
		o.out = filepath.Join("runs", "compare-"+o.data)
	}
	// Check every configuration before training anything.
	cfgs := map[string]train.Config{}
	for _, l := range o.losses {
		for _, s := range o.seeds {
			cfg, err := o.config(l, s)
			if err != nil {
				return nil, err
			}
			if err := cfg.Validate(); err != nil {
				return nil, fmt.Errorf("%s: %w", l, err)
			}
			cfgs[key(l, s)] = cfg
		}
	}
	return &plan{o: o, cfgs: cfgs, jobs: *jobs, fresh: *fresh, clfPath: *clfPath}, nil
}

// runOn runs the comparison on the ranks of comm. With several ranks (an
// mpirun job), rank r trains the runs r, r+N, r+2N, ... of the list (each
// run as one process, in its own folder, --jobs at a time on each rank)
// and computes their final metrics; rank 0 alone prepares the output
// folder, gathers every rank's results and writes the table and figures.
// The ranks wait for each other without tripping the watchdog
// (dist.WaitAll), and a failing or interrupted rank stops the others'
// runs (each stops with a checkpoint; a rerun resumes them).
func runOn(ctx context.Context, comm *dist.Comm, args []string, stdout, stderr io.Writer) error {
	rank, size := comm.Rank(), comm.Size()
	log := stderr
	if rank != 0 {
		// Rank 0 alone reports; the others log their runs, prefixed.
		log = &prefixWriter{mu: &sync.Mutex{}, w: stderr, prefix: fmt.Sprintf("rank %d: ", rank)}
		stdout, stderr = io.Discard, io.Discard
	}
	pl, err := parse(args, stderr)
	if err == nil && rank == 0 {
		err = prepare(pl, stderr)
	}
	// Every rank learns of a bad flag, or of rank 0's refusal of the
	// output folder, at the same collective.
	if err := comm.Check(err); err != nil {
		return err
	}
	o := pl.o
	if err := checkSharedFolder(comm, o.out); err != nil {
		return err
	}
	var nets scores.Nets
	// loadClassifier loads the feature network of the data's FID and KID
	// (none for the toys), training it into the cache when it is missing.
	loadClassifier := func(ctx context.Context, log io.Writer) error {
		var err error
		nets, err = scores.Load(ctx, o.data, pl.clfPath, o.dataDir, log)
		return err
	}
	if o.data == "mnist" || o.data == "celeba" {
		// Rank 0 trains the classifier into the cache when it is
		// missing; then the others read it.
		err := together(ctx, comm, func(ctx context.Context) error {
			if rank == 0 {
				return loadClassifier(ctx, stderr)
			}
			return nil
		})
		if err := comm.Check(err); err != nil {
			return err
		}
		if rank != 0 {
			err = loadClassifier(ctx, io.Discard)
		}
		if err := comm.Check(err); err != nil {
			return err
		}
	}
	var todo []train.Config
	for _, s := range o.seeds {
		for _, l := range o.losses {
			todo = append(todo, pl.cfgs[key(l, s)])
		}
	}
	var mine []train.Config
	var index []int
	for i := rank; i < len(todo); i += size {
		mine, index = append(mine, todo[i]), append(index, i)
	}
	if size > 1 {
		fmt.Fprintf(stderr, "%d runs spread over %d ranks\n", len(todo), size)
	}
	results, err := trainRank(ctx, comm, mine, pl.jobs, o.dataDir, nets, log)
	interrupted := errors.Is(err, train.ErrInterrupted)
	if interrupted {
		err = nil
	}
	if err := comm.Check(err); err != nil {
		return err
	}
	all, anyInterrupted, err := gather(comm, index, results, interrupted, len(todo))
	if err != nil {
		return err
	}
	if anyInterrupted {
		fmt.Fprintf(stdout, "interrupted; run the same command again to resume the unfinished losses\n")
		return nil
	}
	if rank != 0 {
		return nil
	}
	if err := writeResults(o, all, stdout); err != nil {
		return err
	}
	return writeFigures(o, all)
}

// checkSharedFolder makes sure that every rank of a job sees the output
// folder that rank 0 prepared: rank 0 alone checks it for runs trained
// with other settings and reads every run's checkpoint for the figures, so
// on several nodes it must be on a shared file system. Rank 0 writes a
// file of a random name there, every other rank looks for it, rank 0
// removes it.
func checkSharedFolder(comm *dist.Comm, out string) error {
	if comm.Size() == 1 {
		return nil
	}
	token := make([]byte, 8)
	binary.LittleEndian.PutUint64(token, uint64(time.Now().UnixNano())^rand.Uint64())
	if err := comm.BroadcastBytes(token, 0); err != nil {
		return err
	}
	probe := filepath.Join(out, fmt.Sprintf(".compare-shared-%x", token))
	var err error
	if comm.Rank() == 0 {
		err = os.WriteFile(probe, nil, 0o644)
	}
	if err := comm.Check(err); err != nil {
		return err
	}
	if comm.Rank() != 0 {
		if _, serr := os.Stat(probe); serr != nil {
			hostname, _ := os.Hostname()
			err = fmt.Errorf("--out %s: this rank (on %s) does not see the folder that rank 0 prepared: give every rank the same --out on a shared file system", out, hostname)
		}
	}
	err = comm.Check(err)
	if comm.Rank() == 0 {
		os.Remove(probe)
	}
	return err
}

// prepare readies the output folder (rank 0): --fresh moves the previous
// compare aside, runs trained with other settings are refused.
func prepare(pl *plan, stderr io.Writer) error {
	if pl.fresh {
		if err := moveAside(pl.o.out, stderr); err != nil {
			return err
		}
	}
	if err := checkReruns(pl.o, pl.cfgs); err != nil {
		return err
	}
	if err := os.MkdirAll(pl.o.out, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	if w := nn.BLASWarning(); w != "" {
		fmt.Fprintln(stderr, "warning:", w)
	}
	return nil
}

// trainRank trains this rank's runs and computes their final metrics
// (together with the other ranks' work).
func trainRank(ctx context.Context, comm *dist.Comm, cfgs []train.Config, jobs int, dataDir string, nets scores.Nets, log io.Writer) ([]result, error) {
	var results []result
	err := together(ctx, comm, func(ctx context.Context) error {
		var err error
		if results, err = trainAll(ctx, cfgs, jobs, log); err != nil {
			return err
		}
		for i := range results {
			m, err := finalMetrics(results[i].Dir, dataDir, nets)
			if err != nil {
				return fmt.Errorf("%s (seed %d): final metrics: %w", results[i].Loss, results[i].Seed, err)
			}
			for k, v := range m {
				results[i].Metrics[k] = v
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// together runs work, this rank's part of a job whose ranks' parts differ
// in length, while dist.WaitAll keeps the ranks in touch (a collective
// that waited for the slowest rank would trip the watchdog), and returns
// work's error once every rank is done. A rank whose work fails or is
// interrupted cancels the context of the others' work. With one rank it
// is work(ctx).
func together(ctx context.Context, comm *dist.Comm, work func(context.Context) error) error {
	if comm.Size() == 1 {
		return work(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var done, stop atomic.Bool
	var waitErr error
	waited := make(chan struct{})
	go func() {
		defer close(waited)
		_, waitErr = comm.WaitAll(waitInterval, func() (bool, bool) { return done.Load(), stop.Load() }, cancel)
	}()
	err := work(ctx)
	stop.Store(err != nil)
	done.Store(true)
	<-waited
	if waitErr != nil {
		return waitErr
	}
	return err
}

// waitInterval is how often the ranks of a compare check on each other.
const waitInterval = time.Second

// rankResults is what a rank sends rank 0: its results, by index in the
// list of runs, and whether it was interrupted.
type rankResults struct {
	Index       []int
	Results     []result
	Interrupted bool
}

// gather collects every rank's results in the order of the list of n runs
// (on rank 0; the others get nil) and whether some rank was interrupted.
func gather(comm *dist.Comm, index []int, results []result, interrupted bool, n int) ([]result, bool, error) {
	if comm.Size() == 1 {
		return results, interrupted, nil
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(rankResults{Index: index, Results: results, Interrupted: interrupted}); err != nil {
		return nil, false, fmt.Errorf("encode the results of rank %d: %w", comm.Rank(), err)
	}
	parts, err := comm.AllgatherVar(buf.Bytes())
	if err != nil {
		return nil, false, err
	}
	all := make([]result, n)
	any := false
	for r, p := range parts {
		var rr rankResults
		if err := gob.NewDecoder(bytes.NewReader(p)).Decode(&rr); err != nil {
			return nil, false, dist.Shared(fmt.Errorf("decode the results of rank %d: %w", r, err))
		}
		any = any || rr.Interrupted
		if rr.Interrupted {
			continue
		}
		if len(rr.Index) != len(rr.Results) {
			return nil, false, dist.Shared(fmt.Errorf("rank %d sent %d results for %d runs", r, len(rr.Results), len(rr.Index)))
		}
		for k, i := range rr.Index {
			all[i] = rr.Results[k]
		}
	}
	if comm.Rank() != 0 {
		return nil, any, nil
	}
	return all, any, nil
}

func key(loss string, seed uint64) string { return fmt.Sprintf("%s-seed%d", loss, seed) }

// checkReruns refuses a compare whose --out holds runs trained with other
// settings: reusing them would print their numbers under this compare's
// heading. Runs whose whole configuration matches are resumed or reused.
func checkReruns(o options, cfgs map[string]train.Config) error {
	var keys []string
	for k := range cfgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ckpt := filepath.Join(cfgs[k].Out, train.CheckpointName)
		if _, err := os.Stat(ckpt); err != nil {
			continue
		}
		had, err := train.ReadConfig(ckpt)
		if err != nil {
			return fmt.Errorf("%w (remove that run folder or use --fresh)", err)
		}
		if want := cfgs[k]; want.TimeBudget > 0 && had.TimeBudget == want.TimeBudget && had.Steps <= want.Steps {
			had.Steps = want.Steps // a run that spent its budget stopped early
		}
		if d := train.Differences(had, cfgs[k]); len(d) > 0 {
			return fmt.Errorf("%s was trained with other settings (%s, this compare's second); rerun with the same settings, choose another --out, or add --fresh to start over",
				cfgs[k].Out, strings.Join(d, "; "))
		}
	}
	return nil
}

// moveAside renames an existing output folder to <out>.previous-<time> so
// that --fresh starts over without deleting anything.
func moveAside(out string, log io.Writer) error {
	if _, err := os.Stat(out); os.IsNotExist(err) {
		return nil
	}
	dst := out + ".previous-" + time.Now().Format("20060102-150405")
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("--fresh: %s exists already; try again in a second", dst)
	}
	if err := os.Rename(out, dst); err != nil {
		return fmt.Errorf("--fresh: %w", err)
	}
	fmt.Fprintf(log, "moved the previous compare to %s\n", dst)
	return nil
}

// budgetText says what each run was given: "1000 steps", "10m0s per run"
// or "10m0s or 5000 steps per run" (--time with a --steps cap).
func (o options) budgetText() string {
	if o.budget <= 0 {
		return fmt.Sprintf("%d steps", o.steps)
	}
	d := time.Duration(o.budget * float64(time.Second))
	if o.steps >= train.UnlimitedSteps {
		return fmt.Sprintf("%v per run", d)
	}
	return fmt.Sprintf("%v or %d steps per run", d, o.steps)
}

// config is the run configuration of one loss and seed: the dataset's
// defaults for the loss, with the shared batch, steps, seed and widths.
func (o options) config(loss string, seed uint64) (train.Config, error) {
	cfg, err := train.DefaultConfig(o.data, loss)
	if err != nil {
		return cfg, err
	}
	if o.arch != "" {
		if err := cfg.UseArch(o.arch); err != nil {
			return cfg, fmt.Errorf("--arch: %w", err)
		}
		if err := cfg.Model.Validate(); err != nil {
			return cfg, fmt.Errorf("--arch %s on %s: %w", o.arch, o.data, err)
		}
	}
	cfg.Data.Dir = o.dataDir
	cfg.Steps, cfg.Batch, cfg.Seed = o.steps, o.batch, seed
	cfg.Out = filepath.Join(o.out, key(loss, seed))
	cfg.SampleEvery, cfg.CheckpointEvery = 0, 0
	cfg.TimeBudget = o.budget
	cfg.EMA = o.ema
	if cfg.Steps >= train.UnlimitedSteps {
		// A decaying schedule needs the last step, which a run bounded
		// by time alone does not have.
		cfg.Schedule = "constant"
	}
	cfg.EvalEvery = o.evalEvery
	if cfg.EvalEvery <= 0 {
		cfg.EvalEvery = max(1, o.steps/10)
		if o.budget > 0 {
			cfg.EvalEvery = 100
		}
	}
	if len(o.hidden) > 0 {
		if cfg.Model.CriticOn == models.CriticOnData && cfg.Model.Arch != "dcgan" {
			cfg.Model.Critic = append([]int(nil), o.hidden...)
		}
		cfg.Model.Hidden = append([]int(nil), o.hidden...)
	}
	if o.channels > 0 {
		if cfg.Model.Arch != "dcgan" {
			return cfg, fmt.Errorf("--channels: %s uses MLPs, not a dcgan", o.data)
		}
		cfg.Model.Channels = o.channels
	}
	cfg.Data.Limit = o.limit
	if s := o.set[loss]; len(s) > 0 {
		if err := s.apply(&cfg); err != nil {
			return cfg, err
		}
	}
	if _, m := o.set[loss]["m"]; !m {
		losses.FitBatch(&cfg.Loss, cfg.Batch)
	}
	return cfg, nil
}

// trainAll trains the runs of cfgs, up to jobs at a time, and returns their
// results in the order of cfgs. The first error (or interruption) cancels
// the other runs, which then stop with a checkpoint.
func trainAll(ctx context.Context, cfgs []train.Config, jobs int, log io.Writer) ([]result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]result, len(cfgs))
	errs := make([]error, len(cfgs))
	var (
		wg    sync.WaitGroup
		logMu sync.Mutex
	)
	sem := make(chan struct{}, jobs)
	for i, cfg := range cfgs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			errs[i] = train.ErrInterrupted
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			w := log
			if jobs > 1 {
				// Parallel runs share the log: whole lines only, each
				// prefixed with its run.
				w = &prefixWriter{mu: &logMu, w: log, prefix: key(cfg.Loss.Name, cfg.Seed) + ": "}
			}
			results[i], errs[i] = trainOne(ctx, cfg, w, jobs == 1)
			if errs[i] != nil {
				cancel()
				return
			}
			if afterRun != nil {
				afterRun(results[i])
			}
		}()
	}
	wg.Wait()
	// A real failure outranks the interruptions it caused.
	var interrupted bool
	for i, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, train.ErrInterrupted):
			interrupted = true
		default:
			return nil, fmt.Errorf("%s (seed %d): %w", cfgs[i].Loss.Name, cfgs[i].Seed, err)
		}
	}
	if interrupted {
		return nil, train.ErrInterrupted
	}
	return results, nil
}

// timingName is the file in each run folder that accumulates the wall time
// spent training the run, over interruptions and resumptions.
const timingName = "compare-timing.json"

type timing struct {
	WallS float64 `json:"wall_s"`
	Steps int     `json:"steps"` // the steps the wall time covers
}

// trainOne trains (or resumes, or just reads) the run of cfg.
func trainOne(ctx context.Context, cfg train.Config, log io.Writer, tty bool) (result, error) {
	ckpt := filepath.Join(cfg.Out, train.CheckpointName)
	var (
		r   *train.Run
		err error
	)
	if _, statErr := os.Stat(ckpt); statErr == nil {
		r, err = train.Resume(ckpt, nil)
	} else {
		r, err = train.New(cfg)
	}
	if err != nil {
		return result{}, err
	}
	defer r.Close()
	r.Progress = log
	r.TTY = tty && term.IsTerminal(log)
	var tm timing
	if b, err := os.ReadFile(filepath.Join(cfg.Out, timingName)); err == nil {
		if err := json.Unmarshal(b, &tm); err != nil {
			return result{}, fmt.Errorf("%s: %w", filepath.Join(cfg.Out, timingName), err)
		}
	}
	from := r.Step()
	if cfg.TimeBudget > 0 {
		fmt.Fprintf(log, "== %s seed %d: from step %d for %.0f s of training (%.0f s done)\n", cfg.Loss.Name, cfg.Seed, from, cfg.TimeBudget, r.WallTime())
	} else {
		fmt.Fprintf(log, "== %s seed %d: steps %d..%d\n", cfg.Loss.Name, cfg.Seed, from, cfg.Steps)
	}
	start := time.Now()
	var trainErr error
	if from < r.Config.Steps {
		trainErr = r.Train(ctx)
	}
	if done := r.Step() - from; done > 0 {
		tm.WallS += time.Since(start).Seconds()
		tm.Steps += done
		b, _ := json.Marshal(tm)
		if err := atomicfile.WriteBytes(filepath.Join(cfg.Out, timingName), b); err != nil {
			return result{}, err
		}
	}
	if trainErr != nil {
		return result{}, trainErr
	}
	res := result{Loss: cfg.Loss.Name, Seed: cfg.Seed, Steps: r.Step(), WallS: tm.WallS, Metrics: r.Metrics(), Dir: cfg.Out}
	if tm.Steps > 0 {
		res.StepMS = 1000 * tm.WallS / float64(tm.Steps)
	}
	return res, nil
}

// prefixWriter writes whole lines to w, each behind prefix, under mu.
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		p.mu.Lock()
		_, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i])
		p.mu.Unlock()
		p.buf = p.buf[i+1:]
		if err != nil {
			return len(b), err
		}
	}
}

func writeResults(o options, rs []result, stdout io.Writer) error {
	names := results.MetricOrder(rs)
	// Markdown: one row per loss, mean ± standard deviation over seeds.
	head := append([]string{"loss"}, names...)
	head = append(head, "steps", "wall s", "ms/step")
	fmt.Fprintf(stdout, "\ncomparison on %s, %s, batch %d, seeds %v\n\n", o.data, o.budgetText(), o.batch, o.seeds)
	fmt.Fprintf(stdout, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
	for _, l := range o.losses {
		var runs []result // this loss's, one per seed
		for _, r := range rs {
			if r.Loss == l {
				runs = append(runs, r)
			}
		}
		cells := []string{o.set[l].label(l)}
		for _, n := range names {
			var v []float64
			for _, r := range runs {
				if x, ok := r.Metrics[n]; ok {
					v = append(v, x)
				}
			}
			if len(v) == 0 {
				cells = append(cells, "–")
				continue
			}
			cells = append(cells, meanSpread(v))
		}
		var wall, ms []float64
		for _, r := range runs {
			wall = append(wall, r.WallS)
			ms = append(ms, r.StepMS)
		}
		cells = append(cells, strconv.Itoa(runs[0].Steps), fmt.Sprintf("%.1f", mean(wall)), fmt.Sprintf("%.1f", mean(ms)))
		fmt.Fprintf(stdout, "| %s |\n", strings.Join(cells, " | "))
	}
	// CSV and JSON: one row per run.
	err := atomicfile.Write(filepath.Join(o.out, "results.csv"), func(f io.Writer) error {
		w := csv.NewWriter(f)
		header, rows := results.Table(rs, names)
		w.Write(header)
		w.WriteAll(rows)
		w.Flush()
		return w.Error()
	})
	if err != nil {
		return fmt.Errorf("results.csv: %w", err)
	}
	b, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(o.out, "results.json"), append(b, '\n')); err != nil {
		return fmt.Errorf("results.json: %w", err)
	}
	fmt.Fprintf(stdout, "\nwrote %s/results.csv, results.json, samples.png, curves.png\n", o.out)
	return nil
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// meanSpread formats the mean and, for several values, the sample standard
// deviation.
func meanSpread(v []float64) string {
	m := mean(v)
	if len(v) < 2 {
		return fmt.Sprintf("%.4g", m)
	}
	ss := 0.0
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return fmt.Sprintf("%.4g ± %.2g", m, math.Sqrt(ss/float64(len(v)-1)))
}

// writeFigures draws the first seed's samples of every loss side by side
// and the main metric's curves.
func writeFigures(o options, rs []result) error {
	var panels []image.Image
	var curves []viz.Curve
	metric := "eval_w2"
	if len(rs) > 0 {
		if _, ok := rs[0].Metrics[metric]; !ok {
			metric = ""
			for _, n := range results.MetricOrder(rs) {
				metric = n
				break
			}
		}
	}
	for _, r := range rs {
		if r.Seed != o.seeds[0] {
			continue
		}
		l, err := train.Load(filepath.Join(r.Dir, train.CheckpointName))
		if err != nil {
			return err
		}
		img, err := samplePanel(l, r.Loss, o.dataDir)
		if err != nil {
			return fmt.Errorf("%s samples: %w", r.Loss, err)
		}
		panels = append(panels, img)
		if metric != "" {
			c, err := readCurve(filepath.Join(r.Dir, train.MetricsName), metric)
			if err != nil {
				return err
			}
			c.Name = r.Loss
			curves = append(curves, c)
		}
	}
	img, err := viz.SidePanels(panels...)
	if err != nil {
		return err
	}
	if err := viz.SavePNG(filepath.Join(o.out, "samples.png"), img); err != nil {
		return err
	}
	if len(curves) > 0 {
		if err := viz.SaveCurves(filepath.Join(o.out, "curves.png"), metric+" on "+o.data, "step", metric, curves, nil); err != nil {
			return err
		}
	}
	return nil
}

// readCurve reads one metric column of a metrics.csv (rows where it is set).
func readCurve(path, metric string) (viz.Curve, error) {
	f, err := os.Open(path)
	if err != nil {
		return viz.Curve{}, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 {
		return viz.Curve{}, fmt.Errorf("%s: %v", path, err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == metric {
			col = i
		}
	}
	if col < 0 {
		return viz.Curve{}, fmt.Errorf("%s has no column %s", path, metric)
	}
	var c viz.Curve
	for _, row := range rows[1:] {
		if row[col] == "" {
			continue
		}
		x, err1 := strconv.ParseFloat(row[0], 64)
		y, err2 := strconv.ParseFloat(row[col], 64)
		if err1 == nil && err2 == nil {
			c.X, c.Y = append(c.X, x), append(c.Y, y)
		}
	}
	return c, nil
}
