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
	"fmt"
	"math"
	"strings"

	"otgen/losses"
	"otgen/models"
)

// DataConfig names the training data.
type DataConfig struct {
	// Name is "8gaussians", "25gaussians", "swissroll", "mnist" or
	// "celeba".
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
}

// DataNames lists the datasets a run accepts.
var DataNames = []string{"8gaussians", "25gaussians", "swissroll", "mnist", "celeba"}

// DefaultConfig returns the defaults for a dataset and a loss: a small MLP
// that trains in well under a minute on two cores for the 2-D toys, and a
// 784-512-256-8 autoencoder for MNIST, and a DCGAN (base width 32, latent
// 64, batch 64) for CelebA at 64×64.
func DefaultConfig(dataName, lossName string) (Config, error) {
	cfg := Config{
		Data: DataConfig{Name: dataName},
		Loss: losses.Config{Name: lossName},
		LR:   1e-3, Beta1: 0.9, Beta2: 0.999, Seed: 1,
		Model: models.Config{Arch: "mlp", Activation: "relu", Prior: "gaussian"},
	}
	switch dataName {
	case "8gaussians", "25gaussians", "swissroll":
		cfg.Model.DataShape = []int{2}
		cfg.Model.Latent = 2
		cfg.Model.Hidden = []int{128, 128, 128}
		cfg.Model.Output = "linear"
		cfg.Steps, cfg.Batch = 2000, 256
		cfg.SampleEvery, cfg.CheckpointEvery, cfg.EvalEvery, cfg.LogEvery = 500, 500, 500, 100
	case "mnist":
		cfg.Model.DataShape = []int{1, 28, 28}
		cfg.Model.Latent = 8
		cfg.Model.Hidden = []int{512, 256}
		cfg.Model.Output = "sigmoid"
		cfg.Steps, cfg.Batch = 3000, 100
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
		cfg.Steps, cfg.Batch = 2000, 64
		cfg.SampleEvery, cfg.CheckpointEvery, cfg.EvalEvery, cfg.LogEvery = 500, 500, 500, 100
	default:
		return cfg, fmt.Errorf("train: unknown data %q (want one of %s)", dataName, strings.Join(DataNames, ", "))
	}
	switch lossName {
	case "wgan":
		cfg.LR = 5e-5 // Arjovsky et al. 2017, RMSProp
	case "minibatch-w":
		if len(cfg.Model.DataShape) == 1 {
			// The 8-Gaussians headline run: the larger the minibatch the
			// smaller the bias of the estimator (Fatras et al. 2020, Thm 1),
			// and a decaying rate lets the modes sharpen (measured: batch
			// 256 m 64 k 16 leaves a ring with 1% of samples within 3 std
			// of a mode; batch 512 m 512 with linear decay 29% after 1,500
			// steps, 42 s on 2 cores, and 32% after 2,000, 57 s).
			cfg.Steps = 1500
			cfg.Batch = 512
			cfg.Loss.M, cfg.Loss.K = 512, 1
			cfg.Schedule = "linear"
		}
	case "wgan-gp":
		cfg.LR = 1e-4 // Gulrajani et al. 2017, Adam(0.5, 0.9)
		if len(cfg.Model.DataShape) == 1 {
			cfg.Loss.Lambda = 0.1 // gan_toy.py's LAMBDA for the 2-D toys
		}
	}
	cfg.Loss = losses.Defaults(cfg.Loss, cfg.Model.Output)
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
