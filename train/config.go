// Package train runs otgen's training loop: it feeds batches to the steps
// of a losses.Objective, updates parameters with Adam, RMSProp or SGD,
// shows progress, writes metrics.csv, sample figures and checkpoints, stops
// cleanly on NaN/Inf and on cancellation (Ctrl-C), and resumes from a
// checkpoint exactly, bit for bit.
//
// The loop knows no specific loss: everything loss-specific comes from the
// Objective's steps.
package train

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"otgen/dist"
	"otgen/losses"
	"otgen/models"
)

// DataConfig names the training data.
type DataConfig struct {
	// Name is one of DataNames: "8gaussians", "25gaussians", "swissroll",
	// "mnist", "fashion-mnist" or "celeba".
	Name string `json:"name"`
	// Dir is the folder of a file dataset (MNIST's IDX files, the CelebA
	// folder that holds img_align_celeba/).
	Dir string `json:"dir,omitempty"`
	// Attr filters CelebA on its attributes, e.g. "Male=1" (see
	// data.ParseAttrFilter); empty keeps every image.
	Attr string `json:"attr,omitempty"`
	// Limit, if positive, keeps only the first Limit CelebA images by file
	// name (before Attr filters them).
	Limit int `json:"limit,omitempty"`
}

// Config is everything needed to start (and, stored in a checkpoint,
// rebuild) a run.
type Config struct {
	// Out is the run folder: checkpoint, metrics.csv, samples.
	Out   string        `json:"out"`
	Data  DataConfig    `json:"data"`
	Model models.Config `json:"model"`
	Loss  losses.Config `json:"loss"`
	// Steps is the total number of iterations of the run.
	Steps int `json:"steps"`
	Batch int `json:"batch"`
	// LR, Beta1 and Beta2 are the optimiser settings used by every step
	// that does not set its own.
	LR    float64 `json:"lr"`
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	// Schedule scales every learning rate over the run: "constant" (or
	// empty), "linear" (to zero at Steps) or "cosine" (half a cosine to
	// zero at Steps).
	Schedule string `json:"schedule,omitempty"`
	// EMA, when positive, is the decay of an exponential moving average of
	// the generator's (decoder's) weights, updated after every iteration
	// and kept in the checkpoint beside them: evaluation, sample figures
	// and Load use the average, LoadLive the trained weights. 0 (the
	// default) keeps no average.
	EMA float64 `json:"ema,omitempty"`
	// TimeBudget, when positive, ends the run after that many seconds spent
	// in training iterations (evaluation, figures and checkpoints are not
	// counted), over interruptions and resumptions: the step it reached
	// becomes the run's last (Steps is then a cap). Comparisons of losses
	// at an equal wall-clock budget use it.
	TimeBudget float64 `json:"time_budget_s,omitempty"`
	// Seed drives every random choice: initial parameters, batches, noise.
	Seed uint64 `json:"seed"`
	// SampleEvery, CheckpointEvery and EvalEvery are periods in iterations
	// (0 disables; a checkpoint and an evaluation are always written at the
	// end). LogEvery is the period of plain log lines when not on a
	// terminal (0: every tenth of the run).
	SampleEvery     int `json:"sample_every"`
	CheckpointEvery int `json:"checkpoint_every"`
	EvalEvery       int `json:"eval_every"`
	LogEvery        int `json:"log_every"`
	// Comm, when it has several ranks, makes the run one rank of a
	// synchronous data-parallel job (see train/dist.go): Batch is then the
	// global batch, of which each rank computes Batch/Comm.Size() examples.
	// Nil means one process. It is not part of the recorded configuration.
	Comm *dist.Comm `json:"-"`
}

// DataNames lists the datasets a run accepts.
var DataNames = []string{"8gaussians", "25gaussians", "swissroll", "mnist", "fashion-mnist", "celeba"}

// UnlimitedSteps is the step count of a run bounded by its TimeBudget
// alone (cmd/compare --time without --steps); its progress shows no total.
const UnlimitedSteps = 1 << 30

// DefaultBatch returns the batch size the dataset's runs take unless a loss
// chooses another (minibatch-w takes 512 on the 2-D toys): 256 for the 2-D
// toys, 100 for MNIST and Fashion-MNIST, 64 for CelebA (DCGAN's), and 0 for
// an unknown dataset. cmd/compare gives it to every loss.
func DefaultBatch(dataName string) int {
	switch dataName {
	case "8gaussians", "25gaussians", "swissroll":
		return 256
	case "mnist", "fashion-mnist":
		return 100
	case "celeba":
		return 64
	}
	return 0
}

// DefaultConfig returns the defaults for a dataset and a loss: a small MLP
// that trains in well under a minute on two cores for the 2-D toys, and a
// 784-512-256-8 autoencoder for MNIST, and a DCGAN (base width 32, latent
// 64, batch 64) for CelebA at 64×64.
//
// The loss's own defaults (and its choices for the loop, such as WGAN's
// learning rate) come from its entry in the losses registry.
func DefaultConfig(dataName, lossName string) (Config, error) {
	spec, err := losses.Lookup(lossName)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		Data: DataConfig{Name: dataName},
		Loss: losses.Config{Name: spec.Name},
		LR:   1e-3, Beta1: 0.9, Beta2: 0.999, Seed: 1, Schedule: "constant",
		Model: models.Config{Arch: "mlp", Activation: "relu", Prior: models.PriorGaussian, Norm: "none"},
	}
	switch dataName {
	case "8gaussians", "25gaussians", "swissroll":
		cfg.Model.DataShape = []int{2}
		cfg.Model.Latent = 2
		cfg.Model.Hidden = []int{128, 128, 128}
		cfg.Model.Output = "linear"
		cfg.Steps, cfg.Batch = 2000, DefaultBatch(dataName)
		cfg.SampleEvery, cfg.CheckpointEvery, cfg.EvalEvery, cfg.LogEvery = 500, 500, 500, 100
	case "mnist", "fashion-mnist":
		cfg.Model.DataShape = []int{1, 28, 28}
		cfg.Model.Latent = 8
		cfg.Model.Hidden = []int{512, 256}
		cfg.Model.Output = "sigmoid"
		cfg.Steps, cfg.Batch = 3000, DefaultBatch(dataName)
		cfg.SampleEvery, cfg.CheckpointEvery, cfg.EvalEvery, cfg.LogEvery = 500, 500, 500, 100
	case "celeba":
		// 3×64×64 faces in [-1,1], DCGAN networks at half the usual
		// widths (base 32 instead of 64) so that a step stays cheap on a
		// CPU; --channels 64 gives the WAE paper's widths.
		cfg.Model.Arch = "dcgan"
		cfg.Model.Channels = 32
		cfg.Model.DataShape = []int{3, 64, 64}
		cfg.Model.Latent = 64
		cfg.Model.Hidden = nil
		cfg.Model.Activation = "leaky_relu"
		cfg.Model.Output = "tanh"
		// BatchNorm in the encoder and decoder/generator, as the WAE
		// paper's CelebA networks (tolstikhin/wae configs.py: batch_norm)
		// and DCGAN's generator; the critic keeps its LayerNorm. Without
		// it the wae-mmd decoder's prior samples stayed grey blobs at
		// 600 steps; with it they are faces.
		cfg.Model.Norm = "batch"
		cfg.Steps, cfg.Batch = 2000, DefaultBatch(dataName)
		cfg.SampleEvery, cfg.CheckpointEvery, cfg.EvalEvery, cfg.LogEvery = 500, 500, 500, 100
	default:
		return cfg, fmt.Errorf("train: unknown data %q (want one of %s)", dataName, strings.Join(DataNames, ", "))
	}
	t := losses.Training{LR: cfg.LR, Beta1: cfg.Beta1, Beta2: cfg.Beta2, Batch: cfg.Batch, Steps: cfg.Steps, Schedule: cfg.Schedule}
	cfg.Loss = losses.Defaults(cfg.Loss, &t, losses.Data{Name: dataName, Shape: cfg.Model.DataShape, Output: cfg.Model.Output})
	cfg.LR, cfg.Beta1, cfg.Beta2, cfg.Batch, cfg.Steps, cfg.Schedule = t.LR, t.Beta1, t.Beta2, t.Batch, t.Steps, t.Schedule
	if err := losses.ConfigureModel(cfg.Loss, &cfg.Model); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// Validate reports the first invalid setting of cfg.
func (cfg Config) Validate() error {
	if cfg.Out == "" {
		return fmt.Errorf("train: no output folder")
	}
	if cfg.Steps < 0 {
		return fmt.Errorf("train: steps %d, want >= 0", cfg.Steps)
	}
	if cfg.TimeBudget < 0 || math.IsNaN(cfg.TimeBudget) || math.IsInf(cfg.TimeBudget, 0) {
		return fmt.Errorf("train: time budget %v s, want a finite number >= 0", cfg.TimeBudget)
	}
	if cfg.Batch < 2 {
		return fmt.Errorf("train: batch %d, want >= 2", cfg.Batch)
	}
	if !(cfg.LR > 0) || math.IsInf(cfg.LR, 0) {
		return fmt.Errorf("train: learning rate %v, want > 0", cfg.LR)
	}
	switch cfg.Schedule {
	case "", "constant", "linear", "cosine":
	default:
		return fmt.Errorf("train: learning-rate schedule %q, want constant, linear or cosine", cfg.Schedule)
	}
	if err := validEMA(cfg.EMA); err != nil {
		return err
	}
	if cfg.Steps >= UnlimitedSteps && (cfg.Schedule == "linear" || cfg.Schedule == "cosine") {
		return fmt.Errorf("train: the %s learning-rate schedule decays to zero at the last step, and a run bounded by its time budget alone has none: give steps or the constant schedule", cfg.Schedule)
	}
	for _, p := range []int{cfg.SampleEvery, cfg.CheckpointEvery, cfg.EvalEvery, cfg.LogEvery} {
		if p < 0 {
			return fmt.Errorf("train: negative period %d", p)
		}
	}
	if err := cfg.Model.Validate(); err != nil {
		return err
	}
	if err := cfg.Loss.Validate(); err != nil {
		return err
	}
	return cfg.Loss.CheckBatch(cfg.Batch)
}

// lrFactor returns the schedule's multiplier of the learning rates for the
// iteration that follows `done` completed iterations.
func (cfg Config) lrFactor(done int) float64 {
	if cfg.Steps <= 0 {
		return 1
	}
	t := math.Min(float64(done)/float64(cfg.Steps), 1)
	switch cfg.Schedule {
	case "linear":
		return 1 - t
	case "cosine":
		return 0.5 * (1 + math.Cos(math.Pi*t))
	}
	return 1
}

// UseArch switches the configuration to another network family ("mlp" or
// "dcgan") and lets the loss configure the model again: a dcgan's data
// critic takes its widths from Channels, an MLP's from Hidden.
func (cfg *Config) UseArch(arch string) error {
	if cfg.Model.Arch == arch {
		return nil
	}
	cfg.Model.Arch = arch
	if cfg.Model.CriticOn == models.CriticOnData {
		cfg.Model.Critic = nil
	}
	return losses.ConfigureModel(cfg.Loss, &cfg.Model)
}

// Differences lists the settings in which a and b differ, as "name: A vs
// B" in a fixed (sorted) order, leaving out where a run writes (Out) and
// where its data are read from (Data.Dir), which do not change what it
// computes.
func Differences(a, b Config) []string {
	// New copies the run's seed into the model's; a configuration not yet
	// started may not have it.
	a.Model.Seed, b.Model.Seed = a.Seed, b.Seed
	fa, fb := flatConfig(a), flatConfig(b)
	keys := map[string]bool{}
	for k := range fa {
		keys[k] = true
	}
	for k := range fb {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		if k != "out" && k != "data.dir" && fa[k] != fb[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, k := range names {
		va, vb := fa[k], fb[k]
		if va == "" {
			va = "(unset)"
		}
		if vb == "" {
			vb = "(unset)"
		}
		out[i] = fmt.Sprintf("%s: %s vs %s", k, va, vb)
	}
	return out
}

// flatConfig maps every setting of c to its JSON text by dotted path.
func flatConfig(c Config) map[string]string {
	b, _ := json.Marshal(c)
	var m map[string]any
	json.Unmarshal(b, &m)
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if mm, ok := v.(map[string]any); ok {
			for k, x := range mm {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, x)
			}
			return
		}
		t, _ := json.Marshal(v)
		out[prefix] = strings.Trim(string(t), `"`)
		if out[prefix] == "null" || out[prefix] == "0" || out[prefix] == "[]" {
			out[prefix] = ""
		}
	}
	walk("", m)
	return out
}
