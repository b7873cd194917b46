package train

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/atomicfile"
	"otgen/internal/progress"
	"otgen/internal/runlock"
	"otgen/losses"
	"otgen/models"
	"otgen/nn"
	"otgen/optim"
)

// ErrInterrupted is returned by Train when its context is cancelled (Ctrl-C)
// after the checkpoint of the current step has been written.
var ErrInterrupted = errors.New("train: interrupted")

// ErrNonFinite is wrapped by the error Train returns when a loss or a
// gradient becomes NaN or infinite.
var ErrNonFinite = errors.New("train: non-finite loss")

// CheckpointName is the file name of a run's checkpoint in its folder.
const CheckpointName = "checkpoint.otgen"

// Run is a training run: a model, its objective, optimisers and data, at a
// given step.
type Run struct {
	// Config is the run's configuration.
	Config Config
	// Model is the model being trained.
	Model *models.Model
	// Progress receives the progress bar (when TTY) or log lines.
	Progress io.Writer
	// TTY selects a progress bar instead of log lines.
	TTY bool

	step    int
	baseLR  []float64
	obj     *losses.Objective
	vms     []G.VM
	opts    []*optim.Optimizer
	src     *source
	pcg     *rand.PCG
	rng     *rand.Rand
	last    map[string]float64
	columns []string
	// nTrainColumns counts the training metrics at the head of columns;
	// the evaluation metrics follow.
	nTrainColumns int
	evalObj       *losses.Objective
	evalVMs       []G.VM
	savedStep     int
	// wall is the time spent in training iterations so far (evaluation,
	// figures and checkpoints left out), over every resumption.
	wall float64
	// ckpt is the checkpoint this run last read (Resume) or wrote into its
	// folder, and ckptStat its file information then ("" and nil for a new
	// run that has not saved yet): Train checks that nobody else replaced
	// it before it continues.
	ckpt     string
	ckptStat os.FileInfo
	metrics  *bufio.Writer
	metricsF *os.File
	// dist is the run's part in a data-parallel job (train/dist.go).
	dist *distRun
	// ema holds the generator's moving averages (Config.EMA; train/ema.go).
	ema []averaged
}

// New starts a run from cfg with freshly initialised parameters.
func New(cfg Config) (*Run, error) {
	cfg.Model.Seed = cfg.Seed
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r, err := build(cfg)
	if err = checkRanks(cfg, r, err); err != nil {
		return nil, err
	}
	if err := r.dist.shareInitial(r); err != nil {
		return nil, err
	}
	r.resetAverages()
	r.savedStep = -1
	return r, nil
}

func build(cfg Config) (*Run, error) {
	src, err := openSource(cfg)
	if err != nil {
		return nil, err
	}
	if got, want := shapeSize(src.shape), cfg.Model.DataDim(); got != want {
		return nil, fmt.Errorf("train: data %s has examples of shape %v but the model expects %v", cfg.Data.Name, src.shape, cfg.Model.DataShape)
	}
	if src.test != nil && src.test.Len() < cfg.Batch {
		return nil, fmt.Errorf("train: data %s holds out %d examples for evaluation, fewer than a batch of %d: use more data or a smaller batch", cfg.Data.Name, src.test.Len(), cfg.Batch)
	}
	m, err := models.New(cfg.Model, tensor.Float32)
	if err != nil {
		return nil, err
	}
	d, err := newDistRun(cfg)
	if err != nil {
		return nil, err
	}
	obj, err := losses.NewSpread(cfg.Loss, m, d.local, d.collective())
	if err != nil {
		return nil, err
	}
	r := &Run{Config: cfg, Model: m, obj: obj, src: src, Progress: io.Discard, last: map[string]float64{}, dist: d, ema: newAverages(cfg, m.Store)}
	r.pcg = rand.NewPCG(cfg.Seed, 0x6e6f697365)
	r.rng = rand.New(r.pcg)
	for _, st := range obj.Steps {
		grads, err := G.Grad(st.Loss, st.Params...)
		if err != nil {
			return nil, fmt.Errorf("train: gradient of step %s: %w", st.Name, err)
		}
		roots := append(G.Nodes{st.Loss}, grads...)
		for _, mt := range st.Metrics {
			roots = append(roots, mt.Node)
		}
		vm, err := nn.NewTapeMachine(st.Graph.G, roots, G.BindDualValues(st.Params...))
		if err != nil {
			return nil, fmt.Errorf("train: step %s: %w", st.Name, err)
		}
		r.vms = append(r.vms, vm)
		o := st.Optim
		if o.Name == "" {
			o.Name = "adam"
		}
		if o.LR == 0 {
			o.LR = cfg.LR
		}
		if o.Name == "adam" && o.Beta1 == 0 && o.Beta2 == 0 {
			o.Beta1, o.Beta2 = cfg.Beta1, cfg.Beta2
		}
		opt, err := optim.New(o.Name, o.LR, o.Beta1, o.Beta2, st.Params, st.ParamNames)
		if err != nil {
			return nil, fmt.Errorf("train: step %s: %w", st.Name, err)
		}
		opt.Clip = st.Clip
		r.opts = append(r.opts, opt)
		r.baseLR = append(r.baseLR, o.LR)
		for _, mt := range st.Metrics {
			r.columns = append(r.columns, r.metricName(st, mt.Name))
		}
	}
	r.nTrainColumns = len(r.columns)
	r.columns = append(r.columns, r.evalColumns()...)
	d.prepare(r)
	return r, nil
}

func shapeSize(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// metricName prefixes a metric with its step name when there are several.
func (r *Run) metricName(st *losses.Step, name string) string {
	if len(r.obj.Steps) == 1 {
		return name
	}
	return st.Name + "/" + name
}

// WallTime returns the seconds spent in training iterations so far, over
// every resumption of the run (evaluation, figures and checkpoints are not
// counted: Config.TimeBudget buys training only).
func (r *Run) WallTime() float64 { return r.wall }

// Step returns the number of iterations done.
func (r *Run) Step() int { return r.step }

// Metrics returns the latest value of every metric (training metrics after
// the last iteration, evaluation metrics after the last evaluation).
func (r *Run) Metrics() map[string]float64 {
	out := make(map[string]float64, len(r.last))
	for k, v := range r.last {
		out[k] = v
	}
	return out
}

// Close releases the run's machines and flushes its metrics file.
func (r *Run) Close() error {
	for _, vm := range append(r.vms, r.evalVMs...) {
		vm.Close()
	}
	r.vms, r.evalVMs = nil, nil
	return r.closeMetrics()
}

// iterate runs every step of the objective once (each Repeat times).
func (r *Run) iterate() error {
	f := r.Config.lrFactor(r.step)
	for i := range r.opts {
		r.opts[i].LR = r.baseLR[i] * f
	}
	for i, st := range r.obj.Steps {
		for rep := 0; rep < st.Repeat; rep++ {
			if err := r.runStep(i, rep == st.Repeat-1); err != nil {
				return err
			}
		}
	}
	r.updateAverages()
	r.step++
	return r.dist.afterIterate(r)
}

// runStep runs step i of the objective once on a fresh batch and noise and
// updates its parameters; with record set it keeps the step's metrics.
func (r *Run) runStep(i int, record bool) error {
	st := r.obj.Steps[i]
	if st.Data != nil {
		if err := r.dist.batch(r.src, st.Data.Data().([]float32)); err != nil {
			return fmt.Errorf("train: batch: %w", err)
		}
	}
	r.dist.fillNoise(r, i)
	vm := r.vms[i]
	vm.Reset()
	// The gradients (and metrics) are averaged over the ranks of a
	// data-parallel job, in one allreduce; with one rank it only reads
	// the metrics.
	if err := r.dist.reduce(r, i, r.checkRun(i, vm.RunAll())); err != nil {
		r.opts[i].ZeroGrad()
		return err
	}
	if err := r.opts[i].Step(); err != nil {
		r.opts[i].ZeroGrad()
		return fmt.Errorf("%w: %s at step %d: %v", ErrNonFinite, st.Name, r.step+1, err)
	}
	if record {
		for j, mt := range st.Metrics {
			r.last[r.metricName(st, mt.Name)] = r.dist.metrics[i][j]
		}
	}
	return nil
}

// checkRun turns the outcome of step i's graph run into the step's error:
// a run that met NaN or infinite values, or whose loss is not finite, is
// ErrNonFinite.
func (r *Run) checkRun(i int, err error) error {
	st := r.obj.Steps[i]
	if err != nil {
		// Gorgonia's VM formats the op's error into its own text, losing
		// the chain, so the sentinel is also recognised by its message.
		if errors.Is(err, losses.ErrNonFinite) || strings.Contains(err.Error(), losses.ErrNonFinite.Error()) {
			return fmt.Errorf("%w: the %s step met NaN or infinite values at step %d", ErrNonFinite, st.Name, r.step+1)
		}
		return fmt.Errorf("train: step %s: %w", st.Name, err)
	}
	loss, err := scalarValue(st.Loss)
	if err != nil {
		return err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return fmt.Errorf("%w: %s loss is %v at step %d", ErrNonFinite, st.Name, loss, r.step+1)
	}
	return nil
}

// fillNoise refills noise tensors with draws from rng.
func (r *Run) fillNoise(rng *rand.Rand, noise []losses.Noise) {
	for _, n := range noise {
		d := n.T.Data().([]float32)
		switch n.Dist {
		case losses.Normal:
			for i := range d {
				d[i] = float32(rng.NormFloat64())
			}
		case losses.Uniform:
			for i := range d {
				d[i] = float32(2*rng.Float64() - 1)
			}
		case losses.Unit:
			for i := range d {
				d[i] = float32(rng.Float64())
			}
		case losses.PriorZ:
			r.Model.SamplePrior(rng, d)
		case losses.RowUnit:
			cols := n.T.Shape()[len(n.T.Shape())-1]
			for i := 0; i < len(d); i += cols {
				u := float32(rng.Float64())
				for j := i; j < i+cols; j++ {
					d[j] = u
				}
			}
		case losses.RowSphere:
			fillSphere(rng, d, n.T.Shape()[len(n.T.Shape())-1])
		}
	}
}

func scalarValue(n *G.Node) (float64, error) {
	v, err := nn.ScalarOf(n.Value())
	if err != nil {
		return 0, fmt.Errorf("train: node %s: %w", n.Name(), err)
	}
	return v, nil
}

// Train runs iterations until the configured number of steps, writing
// metrics, figures and checkpoints into the run folder, which it holds
// locked for the whole call (a second process on the same folder gets an
// error naming this one's PID). When ctx is cancelled it writes a
// checkpoint and returns ErrInterrupted; when a loss turns NaN or infinite
// it stops, leaves the last good checkpoint as it is and returns an error
// wrapping ErrNonFinite. At every step that is due for both, the checkpoint
// is written before the figures, so a figure or metrics write that fails
// (a full disk) is reported with the checkpoint intact.
func (r *Run) Train(ctx context.Context) (err error) {
	// The ranks other than 0 of a data-parallel job train without writing
	// anything (train/dist.go).
	if r.dist.start(ctx) {
		return r.follow(ctx)
	}
	lock, err := runlock.Acquire(r.Config.Out)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	defer lock.Release()
	if err := r.checkFolder(); err != nil {
		return err
	}
	removeOrphans(r.Config.Out)
	if err := r.writeConfig(); err != nil {
		return err
	}
	if err := r.openMetrics(); err != nil {
		return err
	}
	defer func() {
		if cerr := r.closeMetrics(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	cfg := r.Config
	lastFlush := time.Now()
	total := cfg.Steps
	if cfg.TimeBudget > 0 && cfg.Steps >= UnlimitedSteps {
		total = 0 // bounded by time: a count without a made-up total
	}
	p := progress.New(r.Progress, r.TTY, "step", total, &progress.Options{LogEvery: cfg.LogEvery, Start: r.step})
	defer p.Finish()
	for r.step < cfg.Steps {
		if r.dist.interrupted(ctx) {
			ferr := r.flushMetrics()
			if err := r.Save(); err != nil {
				return fmt.Errorf("train: interrupted at step %d and the checkpoint failed: %w", r.step, err)
			}
			p.Finish()
			if ferr != nil {
				return r.afterCheckpoint(ferr)
			}
			fmt.Fprintf(r.Progress, "interrupted at step %d; checkpoint written to %s\n", r.step, r.CheckpointPath())
			return ErrInterrupted
		}
		t0 := time.Now()
		err := r.iterate()
		r.wall += time.Since(t0).Seconds()
		if err != nil {
			p.Finish()
			if errors.Is(err, ErrNonFinite) {
				if r.savedStep >= 0 {
					return fmt.Errorf("%w; training stopped, the last good checkpoint is %s (step %d)", err, r.CheckpointPath(), r.savedStep)
				}
				return fmt.Errorf("%w; training stopped before any checkpoint was written", err)
			}
			return err
		}
		if cfg.TimeBudget > 0 && r.WallTime() >= cfg.TimeBudget {
			// The budget is spent: this step is the run's last.
			r.Config.Steps, cfg.Steps = r.step, r.step
		}
		final := r.step == cfg.Steps
		evalNow := final || (cfg.EvalEvery > 0 && r.step%cfg.EvalEvery == 0)
		if evalNow {
			if err := r.withAverages(r.evaluate); err != nil {
				return err
			}
		}
		merr := r.writeMetrics(evalNow)
		if merr == nil && (evalNow || time.Since(lastFlush) >= time.Second) {
			// Watchers (cmd/board) see rows within a second.
			merr, lastFlush = r.flushMetrics(), time.Now()
		}
		if !r.TTY || r.step%10 == 0 || final {
			// A bar redraws at most every 10 steps: building the status
			// costs more than a fast step.
			p.Set(r.step, r.summary())
		}
		if final || (cfg.CheckpointEvery > 0 && r.step%cfg.CheckpointEvery == 0) {
			if ferr := r.flushMetrics(); merr == nil {
				merr = ferr
			}
			if err := r.Save(); err != nil {
				return err
			}
		}
		if merr != nil {
			return r.afterCheckpoint(merr)
		}
		if final || (cfg.SampleEvery > 0 && r.step%cfg.SampleEvery == 0) {
			if err := r.SaveSamples(filepath.Join(cfg.Out, "samples", fmt.Sprintf("step_%07d.png", r.step))); err != nil {
				return r.afterCheckpoint(err)
			}
			if err := r.SaveSamples(filepath.Join(cfg.Out, "samples.png")); err != nil {
				return r.afterCheckpoint(err)
			}
		}
	}
	return nil
}

// afterCheckpoint adds to the error of a failed metrics or figure write
// where the run's last checkpoint is, which that failure did not touch.
func (r *Run) afterCheckpoint(err error) error {
	if r.savedStep >= 0 {
		return fmt.Errorf("%w; training stopped at step %d, the checkpoint %s (step %d) is intact", err, r.step, r.CheckpointPath(), r.savedStep)
	}
	return fmt.Errorf("%w; training stopped at step %d before any checkpoint was written", err, r.step)
}

// checkFolder makes sure that the run folder is this run's to write, once
// the run holds its lock: a new run needs a folder without a checkpoint; a
// resumed run continues next to the checkpoint it was read from (which
// must not have been replaced since; a deleted one is written again) or in
// an empty folder.
func (r *Run) checkFolder() error {
	out := r.Config.Out
	ckpt := r.CheckpointPath()
	if r.ckpt == "" {
		if _, err := os.Stat(ckpt); err == nil {
			return fmt.Errorf("train: %s already holds a run; resume it with --resume %s or choose another --out", out, ckpt)
		}
		return nil
	}
	src := filepath.Dir(r.ckpt)
	if sameDir(src, out) {
		st, err := os.Stat(r.ckpt)
		if err == nil && (!os.SameFile(st, r.ckptStat) || st.ModTime() != r.ckptStat.ModTime() || st.Size() != r.ckptStat.Size()) {
			return fmt.Errorf("train: %s changed since this run read or wrote it (did another process train this run?); resume it again", r.ckpt)
		}
		return nil
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("train: run folder %s: %w", out, err)
	}
	for _, e := range entries {
		if e.Name() == runlock.LockName {
			continue
		}
		if _, err := os.Stat(ckpt); err == nil {
			return fmt.Errorf("train: --out %s holds another run (%s); a resumed run continues next to its checkpoint %s or in an empty folder", out, ckpt, r.ckpt)
		}
		return fmt.Errorf("train: --out %s is not empty (it holds %s); a resumed run continues next to its checkpoint %s or in an empty folder", out, e.Name(), r.ckpt)
	}
	return nil
}

// sameDir reports whether a and b name the same folder.
func sameDir(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	if err1 != nil || err2 != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return os.SameFile(sa, sb)
}

// removeOrphans deletes the temporary files that an atomic write killed
// before its rename (SIGKILL, power loss) left in the run folder and its
// samples folder (checkpoints, config.json and figures all go through
// internal/atomicfile). Only the
// caller, who holds the folder's lock, can be writing there.
func removeOrphans(dir string) {
	atomicfile.RemoveStaleTemps(dir)
	atomicfile.RemoveStaleTemps(filepath.Join(dir, "samples"))
}

// CheckpointPath is the path of the run's checkpoint.
func (r *Run) CheckpointPath() string { return filepath.Join(r.Config.Out, CheckpointName) }

func (r *Run) writeConfig() error {
	b, err := json.MarshalIndent(r.Config, "", "  ")
	if err != nil {
		return fmt.Errorf("train: config: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(r.Config.Out, "config.json"), append(b, '\n')); err != nil {
		return fmt.Errorf("train: write config: %w", err)
	}
	return nil
}

// summary formats the latest training metrics.
func (r *Run) summary() string {
	s := ""
	for _, c := range r.columns {
		if v, ok := r.last[c]; ok {
			if s != "" {
				s += " "
			}
			s += fmt.Sprintf("%s=%.4g", c, v)
		}
	}
	return s
}

// fillSphere fills each row of cols values of d with a vector uniform on
// the unit sphere (a normalised standard normal draw).
func fillSphere(rng *rand.Rand, d []float32, cols int) {
	row := make([]float64, cols)
	for i := 0; i+cols <= len(d); i += cols {
		s := 0.0
		for j := range row {
			row[j] = rng.NormFloat64()
			s += row[j] * row[j]
		}
		k := 1 / math.Sqrt(s)
		for j, v := range row {
			d[i+j] = float32(k * v)
		}
	}
}
