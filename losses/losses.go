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
	// Name is the loss, one of Names.
	Name string `json:"name"`
	// Lambda weighs the latent divergence of the Wasserstein auto-encoders
	// (wae-mmd, aae) and the gradient penalty of wgan-gp.
	Lambda float64 `json:"lambda,omitempty"`
	// Likelihood is the VAE decoder's p(x|z): "bernoulli" (pixels in [0,1])
	// or "gaussian" with standard deviation DecoderStd.
	Likelihood string  `json:"likelihood,omitempty"`
	DecoderStd float64 `json:"decoder_std,omitempty"`
	// Scales are the multipliers of the inverse multiquadratic kernel's
	// constant C = 2·Latent·Var(prior)·s of WAE-MMD.
	Scales []float64 `json:"scales,omitempty"`
	// Cost is the reconstruction cost c(x, y) of aae: "l2sq" (‖x−y‖², the
	// default), "l2" (‖x−y‖) or "l1".
	Cost string `json:"cost,omitempty"`
	// NCritic is the number of critic (discriminator) steps per generator
	// step of wgan, wgan-gp and aae.
	NCritic int `json:"n_critic,omitempty"`
	// Clip is the weight-clipping bound c of wgan.
	Clip float64 `json:"clip,omitempty"`
	// Eps and Iters are the entropic regularisation and the iteration
	// budget of the Sinkhorn divergence.
	Eps   float64 `json:"eps,omitempty"`
	Iters int     `json:"iters,omitempty"`
	// K and M are the number of minibatch pairs and the minibatch size of
	// minibatch-w (Fatras et al. 2020, eq. 4).
	K int `json:"k,omitempty"`
	M int `json:"m,omitempty"`
}

// Names lists the losses New accepts.
var Names = []string{"vae", "wae-mmd", "aae", "wgan", "wgan-gp", "sinkhorn", "minibatch-w"}

// aliases are other names users know the losses by.
var aliases = map[string]string{
	"mbw": "minibatch-w", "minibatch-wasserstein": "minibatch-w",
	"pot": "aae", "wae-gan": "aae",
}

// Canonical returns the name in Names of a loss given by one of its other
// names ("mbw" for minibatch-w, "pot" and "wae-gan" for aae); other names
// are returned unchanged (Validate rejects unknown ones).
func Canonical(name string) string {
	if c, ok := aliases[strings.ToLower(name)]; ok {
		return c
	}
	return name
}

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
	case "aae":
		if cfg.Lambda == 0 {
			cfg.Lambda = 1
		}
		if cfg.Cost == "" {
			cfg.Cost = "l2sq"
		}
		if cfg.NCritic == 0 {
			cfg.NCritic = 1
		}
	case "wgan":
		if cfg.NCritic == 0 {
			cfg.NCritic = 5
		}
		if cfg.Clip == 0 {
			cfg.Clip = 0.01
		}
	case "wgan-gp":
		if cfg.NCritic == 0 {
			cfg.NCritic = 5
		}
		if cfg.Lambda == 0 {
			cfg.Lambda = 10
		}
	case "sinkhorn":
		if cfg.Eps == 0 {
			cfg.Eps = 0.1
		}
		if cfg.Iters == 0 {
			cfg.Iters = 100
		}
	case "minibatch-w":
		if cfg.K == 0 {
			cfg.K = 16
		}
		if cfg.M == 0 {
			cfg.M = 64
		}
	}
	return cfg
}

// Validate reports the first invalid setting of cfg. The batch size is
// checked by New.
func (cfg Config) Validate() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	// Settings a loss does not use must still make sense.
	for name, v := range map[string]float64{"lambda": cfg.Lambda, "clip": cfg.Clip, "epsilon": cfg.Eps, "decoder std": cfg.DecoderStd} {
		if v < 0 || bad(v) {
			return fmt.Errorf("losses: %s %v, want a finite value >= 0", name, v)
		}
	}
	for name, v := range map[string]int{"k": cfg.K, "m": cfg.M, "n_critic": cfg.NCritic, "iterations": cfg.Iters} {
		if v < 0 {
			return fmt.Errorf("losses: %s = %d, want >= 0", name, v)
		}
	}
	switch cfg.Name {
	case "vae":
		switch cfg.Likelihood {
		case "bernoulli":
		case "gaussian":
			if !(cfg.DecoderStd > 0) || bad(cfg.DecoderStd) {
				return fmt.Errorf("losses: vae decoder std %v, want > 0", cfg.DecoderStd)
			}
		default:
			return fmt.Errorf("losses: vae likelihood %q, want bernoulli or gaussian", cfg.Likelihood)
		}
	case "wae-mmd":
		if !(cfg.Lambda >= 0) || bad(cfg.Lambda) {
			return fmt.Errorf("losses: lambda %v, want a finite value >= 0", cfg.Lambda)
		}
		if len(cfg.Scales) == 0 {
			return errors.New("losses: wae-mmd needs at least one kernel scale")
		}
		for _, s := range cfg.Scales {
			if !(s > 0) || bad(s) {
				return fmt.Errorf("losses: kernel scale %v, want > 0", s)
			}
		}
	case "aae", "wgan-gp":
		if !(cfg.Lambda >= 0) || bad(cfg.Lambda) {
			return fmt.Errorf("losses: lambda %v, want a finite value >= 0", cfg.Lambda)
		}
		if cfg.Name == "aae" && cfg.Cost != "l2sq" && cfg.Cost != "l2" && cfg.Cost != "l1" {
			return fmt.Errorf("losses: cost %q, want l2sq, l2 or l1", cfg.Cost)
		}
		if cfg.NCritic < 1 {
			return fmt.Errorf("losses: n_critic %d, want >= 1", cfg.NCritic)
		}
	case "wgan":
		if cfg.NCritic < 1 {
			return fmt.Errorf("losses: n_critic %d, want >= 1", cfg.NCritic)
		}
		if !(cfg.Clip > 0) || bad(cfg.Clip) {
			return fmt.Errorf("losses: clip %v, want > 0", cfg.Clip)
		}
	case "sinkhorn":
		if !(cfg.Eps > 0) || bad(cfg.Eps) {
			return fmt.Errorf("losses: epsilon %v, want > 0", cfg.Eps)
		}
		if cfg.Iters < 1 {
			return fmt.Errorf("losses: sinkhorn iterations %d, want >= 1", cfg.Iters)
		}
	case "minibatch-w":
		if cfg.K < 1 {
			return fmt.Errorf("losses: k = %d minibatch pairs, want >= 1", cfg.K)
		}
		if cfg.M < 1 {
			return fmt.Errorf("losses: minibatch size m = %d, want >= 1", cfg.M)
		}
	default:
		return fmt.Errorf("losses: unknown loss %q (want one of %s)", cfg.Name, strings.Join(Names, ", "))
	}
	return nil
}

// CheckBatch reports whether batches of the given size suit cfg (m must
// not exceed the batch).
func (cfg Config) CheckBatch(batch int) error {
	if batch < 2 {
		return fmt.Errorf("losses: batch size %d, want at least 2", batch)
	}
	if cfg.Name == "minibatch-w" && cfg.M > batch {
		return fmt.Errorf("losses: minibatch size m = %d is larger than the batch (%d)", cfg.M, batch)
	}
	return nil
}

// ConfigureModel sets the parts of a model configuration that the loss
// dictates: the kind of encoder and the critic. A critic on the data gets
// the generator's hidden widths unless mc.Critic is set; the latent
// discriminator of aae defaults to two layers of 64.
func ConfigureModel(cfg Config, mc *models.Config) error {
	switch cfg.Name {
	case "vae":
		mc.Encoder = "gaussian"
	case "wae-mmd":
		mc.Encoder = "deterministic"
	case "aae":
		mc.Encoder = "deterministic"
		mc.CriticOn = "latent"
		if len(mc.Critic) == 0 {
			mc.Critic = []int{64, 64}
		}
	case "wgan", "wgan-gp":
		mc.Encoder = "none"
		mc.CriticOn = "data"
		if len(mc.Critic) == 0 {
			mc.Critic = append([]int(nil), mc.Hidden...)
		}
		if len(mc.Critic) == 0 && mc.Arch == "dcgan" {
			// A dcgan's data critic takes its widths from Channels; the
			// list only asks for a critic.
			mc.Critic = []int{1}
		}
	case "sinkhorn", "minibatch-w":
		mc.Encoder = "none"
	default:
		return fmt.Errorf("losses: unknown loss %q (want one of %s)", cfg.Name, strings.Join(Names, ", "))
	}
	if cfg.Name != "aae" && cfg.Name != "wgan" && cfg.Name != "wgan-gp" {
		mc.Critic, mc.CriticOn = nil, ""
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
	if err := cfg.CheckBatch(batch); err != nil {
		return nil, err
	}
	var (
		steps []*Step
		err   error
	)
	one := func(st *Step, err error) ([]*Step, error) { return []*Step{st}, err }
	switch cfg.Name {
	case "vae":
		steps, err = one(newVAE(cfg, m, batch))
	case "wae-mmd":
		steps, err = one(newWAEMMD(cfg, m, batch))
	case "aae":
		steps, err = newAAE(cfg, m, batch)
	case "wgan":
		steps, err = newWGAN(cfg, m, batch)
	case "wgan-gp":
		steps, err = newWGANGP(cfg, m, batch)
	case "sinkhorn":
		steps, err = one(newSinkhorn(cfg, m, batch))
	case "minibatch-w":
		steps, err = one(newMinibatchW(cfg, m, batch))
	}
	if err != nil {
		return nil, fmt.Errorf("losses: %s: %w", cfg.Name, err)
	}
	return &Objective{Steps: steps}, nil
}

// scalarOfType returns a constant of x's dtype.
func scalarOfType(x *G.Node, v float64) *G.Node {
	if x.Dtype() == tensor.Float32 {
		return G.NewConstant(float32(v))
	}
	return G.NewConstant(v)
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
