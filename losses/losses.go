// Package losses builds the training objectives of otgen as Gorgonia graphs
// over the networks of package models. Each objective lives in one file that
// cites the equation it implements.
//
// An Objective is a list of Steps; each Step is one optimisation step (a
// graph, its scalar loss, the parameters it updates, how many times it runs
// per iteration), so a VAE (one step) and a GAN (critic steps then a
// generator step) run through the same training loop. The loop fills each
// step's Data tensor with a batch and its Noise tensors with random draws
// before every run; losses never read files or draw random numbers
// themselves.
package losses

import (
	"errors"
	"fmt"
	"math"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/models"
	"otgen/nn"
)

// Config selects and parameterises a loss. It is stored in checkpoints.
type Config struct {
	// Name is the loss: "vae" or "wae-mmd".
	Name string `json:"name"`
	// Lambda weighs the latent divergence of the Wasserstein auto-encoders.
	Lambda float64 `json:"lambda,omitempty"`
	// Likelihood is the VAE decoder's p(x|z): "bernoulli" (pixels in [0,1])
	// or "gaussian" with standard deviation DecoderStd.
	Likelihood string  `json:"likelihood,omitempty"`
	DecoderStd float64 `json:"decoder_std,omitempty"`
	// Scales are the multipliers of the inverse multiquadratic kernel's
	// constant C = 2·Latent·Var(prior)·s of WAE-MMD.
	Scales []float64 `json:"scales,omitempty"`
}

// Names lists the losses New accepts.
var Names = []string{"vae", "wae-mmd"}

// Defaults fills the zero fields of cfg with the defaults for data whose
// decoder output is out ("sigmoid" for pixels, "linear" for real vectors).
func Defaults(cfg Config, out string) Config {
	switch cfg.Name {
	case "vae":
		if cfg.Likelihood == "" {
			cfg.Likelihood = "gaussian"
			if out == "sigmoid" {
				cfg.Likelihood = "bernoulli"
			}
		}
		if cfg.Likelihood == "gaussian" && cfg.DecoderStd == 0 {
			cfg.DecoderStd = 0.1
		}
	case "wae-mmd":
		if cfg.Lambda == 0 {
			cfg.Lambda = 10
		}
		if len(cfg.Scales) == 0 {
			cfg.Scales = []float64{0.1, 0.2, 0.5, 1, 2, 5, 10}
		}
	}
	return cfg
}

// Validate reports the first invalid setting of cfg.
func (cfg Config) Validate() error {
	switch cfg.Name {
	case "vae":
		switch cfg.Likelihood {
		case "bernoulli":
		case "gaussian":
			if !(cfg.DecoderStd > 0) || math.IsInf(cfg.DecoderStd, 0) {
				return fmt.Errorf("losses: vae decoder std %v, want > 0", cfg.DecoderStd)
			}
		default:
			return fmt.Errorf("losses: vae likelihood %q, want bernoulli or gaussian", cfg.Likelihood)
		}
	case "wae-mmd":
		if !(cfg.Lambda >= 0) || math.IsInf(cfg.Lambda, 0) {
			return fmt.Errorf("losses: lambda %v, want a finite value >= 0", cfg.Lambda)
		}
		if len(cfg.Scales) == 0 {
			return errors.New("losses: wae-mmd needs at least one kernel scale")
		}
		for _, s := range cfg.Scales {
			if !(s > 0) || math.IsInf(s, 0) {
				return fmt.Errorf("losses: kernel scale %v, want > 0", s)
			}
		}
	default:
		return fmt.Errorf("losses: unknown loss %q (want one of %s)", cfg.Name, strings.Join(Names, ", "))
	}
	return nil
}

// ConfigureModel sets the parts of a model configuration that the loss
// dictates (the kind of encoder, a critic).
func ConfigureModel(cfg Config, mc *models.Config) error {
	switch cfg.Name {
	case "vae":
		mc.Encoder = "gaussian"
	case "wae-mmd":
		mc.Encoder = "deterministic"
	default:
		return fmt.Errorf("losses: unknown loss %q (want one of %s)", cfg.Name, strings.Join(Names, ", "))
	}
	if cfg.Name == "vae" && cfg.Likelihood == "bernoulli" {
		mc.Output = "sigmoid"
	}
	return nil
}

// Objective is the list of optimisation steps of one training iteration.
type Objective struct {
	Steps []*Step
}

// Step is one optimisation step: minimise Loss over Params.
type Step struct {
	// Name identifies the step in logs, metrics and checkpoints ("main",
	// "critic", "generator").
	Name  string
	Graph *nn.Graph
	// Loss is the scalar to minimise.
	Loss *G.Node
	// Params are the parameter nodes this step updates; ParamNames their
	// names in the store.
	Params     G.Nodes
	ParamNames []string
	// Metrics are scalar nodes reported after each run (the loss first).
	Metrics []Metric
	// Data, when not nil, is filled with a batch of examples (batch×DataDim)
	// before each run.
	Data *tensor.Dense
	// Noise tensors are filled with fresh random draws before each run.
	Noise []Noise
	// Repeat is how many times the step runs per iteration (n_critic).
	Repeat int
	// Optim is the optimiser the step asks for; zero fields take the
	// training configuration's values.
	Optim Optim
	// Clip, when positive, clips every parameter of the step to
	// [-Clip, Clip] after each update (WGAN).
	Clip float64
}

// Metric is a named scalar node.
type Metric struct {
	Name string
	Node *G.Node
}

// Distribution names what a Noise tensor is filled with.
type Distribution string

// The noise distributions.
const (
	Normal  Distribution = "normal"   // N(0, 1) entries
	Uniform Distribution = "uniform"  // U[-1, 1] entries
	Unit    Distribution = "unit"     // U[0, 1] entries
	PriorZ  Distribution = "prior"    // the model's prior
	RowUnit Distribution = "row-unit" // one U[0,1] per row, repeated along the row
)

// Noise is a tensor the training loop refills with random draws.
type Noise struct {
	T    *tensor.Dense
	Dist Distribution
}

// Optim names an optimiser and its hyper-parameters.
type Optim struct {
	Name         string  // "adam", "rmsprop" or "sgd"
	LR           float64 // 0: the training configuration's
	Beta1, Beta2 float64 // Adam; 0: the training configuration's
}

// New builds the objective cfg over model m for batches of the given size.
func New(cfg Config, m *models.Model, batch int) (*Objective, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if batch < 2 {
		return nil, fmt.Errorf("losses: batch size %d, want at least 2", batch)
	}
	var (
		st  *Step
		err error
	)
	switch cfg.Name {
	case "vae":
		st, err = newVAE(cfg, m, batch)
	case "wae-mmd":
		st, err = newWAEMMD(cfg, m, batch)
	}
	if err != nil {
		return nil, fmt.Errorf("losses: %s: %w", cfg.Name, err)
	}
	return &Objective{Steps: []*Step{st}}, nil
}

// finish fills the parameter lists of st with the graph's parameters whose
// names start with one of prefixes (all when none is given).
func finish(st *Step, prefixes ...string) *Step {
	for _, name := range st.Graph.ParamNames() {
		keep := len(prefixes) == 0
		for _, p := range prefixes {
			keep = keep || strings.HasPrefix(name, p)
		}
		if keep {
			n, _ := st.Graph.Param(name)
			st.Params = append(st.Params, n)
			st.ParamNames = append(st.ParamNames, name)
		}
	}
	if st.Repeat == 0 {
		st.Repeat = 1
	}
	return st
}

// must panics on a graph-construction error; it is only used inside build
// functions whose shapes were checked, and New recovers nothing: a panic
// there is a bug, not bad input.
func must(n *G.Node, err error) *G.Node {
	if err != nil {
		panic(err)
	}
	return n
}

// build runs f, turning a graph-construction panic into an error.
func build(f func() (*Step, error)) (st *Step, err error) {
	defer func() {
		if r := recover(); r != nil {
			st, err = nil, fmt.Errorf("building the graph: %v", r)
		}
	}()
	return f()
}
