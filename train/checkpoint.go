package train

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"gorgonia.org/tensor"

	"otgen/checkpoints"
	"otgen/models"
)

// metaKind marks the header of a training checkpoint.
const metaKind = "otgen-run"

// meta is the JSON header of a training checkpoint: everything needed to
// rebuild the run and continue it exactly.
type meta struct {
	Kind    string             `json:"kind"`
	Config  Config             `json:"config"`
	Step    int                `json:"step"`
	RNG     []byte             `json:"rng"`
	Batcher []byte             `json:"batcher"`
	Optim   []optimMeta        `json:"optimizers"`
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// WallS is the time spent in training iterations up to Step, in
	// seconds, over every resumption (for Config.TimeBudget).
	WallS float64 `json:"wall_s,omitempty"`
	// Ranks is the number of ranks of the data-parallel job that wrote the
	// checkpoint (0 in checkpoints of one process).
	Ranks int `json:"ranks,omitempty"`
}

type optimMeta struct {
	Step string `json:"step"`
	Name string `json:"name"`
	T    int    `json:"t"`
}

// tensors returns the run's state as checkpoint tensors that alias the live
// data: the parameters, the generator's moving averages ("ema/<param>", see
// Config.EMA) and the optimisers' moments ("opt/<step>/<param>/m" and
// ".../v").
func (r *Run) tensors() []checkpoints.Tensor {
	var ts []checkpoints.Tensor
	for _, t := range r.Model.Store.Tensors() {
		ts = append(ts, checkpoints.Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data})
	}
	for _, a := range r.ema {
		ts = append(ts, checkpoints.Tensor{Name: emaPrefix + a.name, Shape: a.shape, Data: a.avg})
	}
	for i, st := range r.obj.Steps {
		o := r.opts[i]
		for j, name := range st.ParamNames {
			v, _ := r.Model.Store.Value(name)
			shape := []int(v.Shape())
			if o.M != nil {
				ts = append(ts, checkpoints.Tensor{Name: fmt.Sprintf("opt/%s/%s/m", st.Name, name), Shape: shape, Data: o.M[j]})
			}
			if o.V != nil {
				ts = append(ts, checkpoints.Tensor{Name: fmt.Sprintf("opt/%s/%s/v", st.Name, name), Shape: shape, Data: o.V[j]})
			}
		}
	}
	return ts
}

// Save writes the run's checkpoint atomically to CheckpointPath.
func (r *Run) Save() error {
	return r.SaveAs(r.CheckpointPath())
}

// SaveAs writes the run's checkpoint atomically to path. It does not flush
// metrics.csv (Train does, before each checkpoint).
func (r *Run) SaveAs(path string) error {
	rng, err := r.pcg.MarshalBinary()
	if err != nil {
		return fmt.Errorf("train: rng state: %w", err)
	}
	bs, err := r.src.batcher.State()
	if err != nil {
		return fmt.Errorf("train: batcher state: %w", err)
	}
	m := meta{Kind: metaKind, Config: r.Config, Step: r.step, RNG: rng, Batcher: bs, Metrics: r.Metrics(), WallS: r.WallTime()}
	if r.dist.size > 1 {
		m.Ranks = r.dist.size
	}
	for i, st := range r.obj.Steps {
		m.Optim = append(m.Optim, optimMeta{Step: st.Name, Name: r.opts[i].Name, T: r.opts[i].T})
	}
	if err := checkpoints.Write(path, m, r.tensors()); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	if path == r.CheckpointPath() {
		r.savedStep = r.step
		if st, err := os.Stat(path); err == nil {
			r.ckpt, r.ckptStat = path, st
		}
	}
	return nil
}

// readMeta reads a checkpoint and its training header.
func readMeta(path string) (*checkpoints.File, *meta, error) {
	f, err := checkpoints.Read(path)
	if err != nil {
		return nil, nil, err
	}
	var m meta
	if err := json.Unmarshal(f.Meta, &m); err != nil {
		return nil, nil, fmt.Errorf("train: %s: header: %w", path, err)
	}
	if m.Kind != metaKind {
		return nil, nil, fmt.Errorf("train: %s is not a training checkpoint (kind %q)", path, m.Kind)
	}
	return f, &m, nil
}

// Resume rebuilds the run saved in the checkpoint at path and restores its
// parameters, optimiser state, random state and data position, so that
// training continues exactly as if it had not stopped. The run continues in
// the checkpoint's own folder, whatever folder the checkpoint recorded (a
// copied or moved run folder is resumed where it is). edit, when not nil,
// may change the configuration's Steps, TimeBudget, Out, data folder and periods before
// the run is rebuilt (changing anything else is refused); Train accepts a
// new Out only if it is missing or empty.
func Resume(path string, edit func(*Config)) (*Run, error) {
	f, m, err := readMeta(path)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	cfg := m.Config
	cfg.Out = filepath.Dir(path)
	if edit != nil {
		before := cfg
		edit(&cfg)
		after := cfg
		after.Steps, after.TimeBudget, after.Out = before.Steps, before.TimeBudget, before.Out
		after.SampleEvery, after.CheckpointEvery, after.EvalEvery, after.LogEvery = before.SampleEvery, before.CheckpointEvery, before.EvalEvery, before.LogEvery
		after.Data.Dir = before.Data.Dir
		a, _ := json.Marshal(after)
		b, _ := json.Marshal(before)
		if string(a) != string(b) {
			return nil, fmt.Errorf("train: resume from %s: only steps, time budget, output folder, data folder and periods can change", path)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	r, err := build(cfg)
	if err = checkRanks(cfg, r, err); err != nil {
		return nil, fmt.Errorf("train: resume from %s: %w", path, err)
	}
	if len(m.Optim) != len(r.opts) {
		return nil, fmt.Errorf("train: %s has %d optimizers, the run has %d", path, len(m.Optim), len(r.opts))
	}
	for i, om := range m.Optim {
		if om.Step != r.obj.Steps[i].Name || om.Name != r.opts[i].Name {
			return nil, fmt.Errorf("train: %s: optimizer %d is %s/%s, the run has %s/%s", path, i, om.Step, om.Name, r.obj.Steps[i].Name, r.opts[i].Name)
		}
	}
	if err := f.Restore(r.tensors()); err != nil {
		return nil, err
	}
	for i, om := range m.Optim {
		r.opts[i].T = om.T
	}
	if err := r.pcg.UnmarshalBinary(m.RNG); err != nil {
		return nil, fmt.Errorf("train: %s: rng state: %w", path, err)
	}
	if err := r.src.batcher.Restore(m.Batcher); err != nil {
		return nil, fmt.Errorf("train: %s: batcher state: %w", path, err)
	}
	r.step = m.Step
	r.savedStep = m.Step
	r.wall = m.WallS
	r.ckpt, r.ckptStat = path, st
	for k, v := range m.Metrics {
		r.last[k] = v
	}
	if err := r.dist.resumed(r, m.Ranks); err != nil {
		return nil, err
	}
	return r, nil
}

// Loaded is a trained model read from a checkpoint, for sampling.
type Loaded struct {
	Config Config
	Model  *models.Model
	Step   int
}

// Load reads the model of a training checkpoint without its training state:
// for a run that kept a moving average of its generator (Config.EMA), the
// averaged generator.
func Load(path string) (*Loaded, error) { return load(path, false) }

// LoadLive is Load with the generator's trained weights, not their moving
// average (the same as Load for a run without Config.EMA).
func LoadLive(path string) (*Loaded, error) { return load(path, true) }

func load(path string, live bool) (*Loaded, error) {
	f, m, err := readMeta(path)
	if err != nil {
		return nil, err
	}
	model, err := models.New(m.Config.Model, tensor.Float32)
	if err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	var params []checkpoints.Tensor
	for _, t := range model.Store.Tensors() {
		params = append(params, checkpoints.Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data})
	}
	// Copy the parameters by name; optimiser tensors are not needed.
	for _, p := range params {
		name := p.Name
		if m.Config.EMA > 0 && !live && models.IsGenerator(name) {
			name = emaPrefix + name
		}
		t, ok := f.Tensor(name)
		if !ok {
			return nil, fmt.Errorf("train: %s has no tensor %s", path, name)
		}
		if fmt.Sprint(t.Shape) != fmt.Sprint(p.Shape) {
			return nil, fmt.Errorf("train: %s: tensor %s has shape %v, the model expects %v", path, p.Name, t.Shape, p.Shape)
		}
		copy(p.Data, t.Data)
	}
	return &Loaded{Config: m.Config, Model: model, Step: m.Step}, nil
}

// Real draws n real examples (n×DataDim) of the run's data with the given
// seed: from the held-out split for file datasets, from the distribution
// for the toys. dataDir, when not empty, replaces the recorded data folder.
func (l *Loaded) Real(n int, seed uint64, dataDir string) ([]float32, error) {
	cfg := l.Config
	if dataDir != "" {
		cfg.Data.Dir = dataDir
	}
	src, err := openSource(cfg)
	if err != nil {
		return nil, err
	}
	out := make([]float32, n*cfg.Model.DataDim())
	src.real(rand.New(rand.NewPCG(seed, 4)), out)
	return out, nil
}

// PixelRange returns the range of the data's pixel values (for image grids).
func (l *Loaded) PixelRange() (lo, hi float64) {
	if l.Config.Model.Output == "tanh" {
		return -1, 1
	}
	return 0, 1
}

// ReadConfig returns the configuration recorded in a training checkpoint,
// with Out set to the checkpoint's folder (where Resume continues the run).
func ReadConfig(path string) (Config, error) {
	_, m, err := readMeta(path)
	if err != nil {
		return Config{}, err
	}
	cfg := m.Config
	cfg.Out = filepath.Dir(path)
	return cfg, nil
}
