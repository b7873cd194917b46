package losses

import (
	"fmt"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/models"
	"otgen/nn"
)

// Config selects and parameterises a loss. It is stored in checkpoints.
type Config struct {
	// Name is the loss: the Name of a registered Spec (see Names).
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
	// default), "l2" (‖x−y‖) or "l1"; for the learned-cost losses
	// (sinkhorn-gan, minibatch-w-gan) the ground cost between critic
	// features: "sqeuclidean" (the default) or "cosine"; for minibatch-w
	// the ground cost between points: "sqeuclidean" (‖x−y‖², the default
	// on images) or "euclidean" (‖x−y‖, the default on the 2-D toys).
	Cost string `json:"cost,omitempty"`
	// Features is the dimension of the critic's feature vectors of the
	// learned-cost losses, and CriticReg what keeps that critic from
	// inflating the cost: "gp" (a gradient penalty of weight Lambda) or
	// "clip" (weights clipped to [-Clip, Clip]).
	Features  int    `json:"feature_dim,omitempty"`
	CriticReg string `json:"critic_reg,omitempty"`
	// CriticLoss is what the critic of the learned-cost losses minimises:
	// "divergence" (minus the OT loss, −S_ε for sinkhorn-gan as Genevay et
	// al.'s; "" in runs saved before the setting existed) or "repulsive"
	// (the repulsive loss of Wang et al. 2019 from the loss's self terms:
	// ½OT_ε(generated, generated) − ½OT_ε(data, data) for sinkhorn-gan,
	// the same with the minibatch Wasserstein between each batch's halves
	// for minibatch-w-gan).
	CriticLoss string `json:"critic_loss,omitempty"`
	// Debias makes minibatch-w-gan's loss the debiased minibatch
	// Wasserstein h̃(α, β) − ½h̃(α, α) − ½h̃(β, β) (Fatras et al. 2021),
	// each self term between the two halves of a batch.
	Debias bool `json:"debias,omitempty"`
	// NCritic is the number of critic (discriminator) steps per generator
	// step of wgan, wgan-gp and aae.
	NCritic int `json:"n_critic,omitempty"`
	// Clip is the weight-clipping bound c of wgan.
	Clip float64 `json:"clip,omitempty"`
	// Eps and Iters are the entropic regularisation and the iteration
	// budget of the Sinkhorn divergence.
	Eps   float64 `json:"eps,omitempty"`
	Iters int     `json:"iters,omitempty"`
	// Reach, when positive, makes the Sinkhorn divergence of sinkhorn
	// unbalanced: the marginal constraints become the penalty
	// Reach² KL(· | ·) (GeomLoss's reach, Séjourné et al. 2019), so mass
	// that has no partner within about Reach in the other batch is
	// created or destroyed instead of transported — the unbalanced
	// minibatch OT of Fatras et al. 2021. 0 is balanced.
	Reach float64 `json:"reach,omitempty"`
	// K and M are the number of minibatch pairs and the minibatch size of
	// minibatch-w (Fatras et al. 2020, eq. 4).
	K int `json:"k,omitempty"`
	M int `json:"m,omitempty"`
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
	// RowSphere fills each row with a vector uniform on the unit sphere.
	RowSphere Distribution = "row-sphere"
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

// must panics on a graph-construction error. It is only used inside the
// functions that build (see build), which recover the panic and return it
// as an error: shapes are checked before, so such an error is a bug, not
// bad input.
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

// oneStep adapts the constructor of a one-step objective to Spec.Build.
func oneStep(f func(Config, *models.Model, int) (*Step, error)) func(Config, *models.Model, int) ([]*Step, error) {
	return func(c Config, m *models.Model, batch int) ([]*Step, error) {
		st, err := f(c, m, batch)
		if err != nil {
			return nil, err
		}
		return []*Step{st}, nil
	}
}

// configureDataCritic gives the model a generator and a critic on the
// data (the WGAN family). An MLP critic takes the generator's hidden widths
// unless widths were given; a dcgan's critic takes its widths from
// Channels.
func configureDataCritic(_ Config, mc *models.Config) {
	mc.Encoder = models.EncoderNone
	mc.CriticOn = models.CriticOnData
	if len(mc.Critic) == 0 && mc.Arch != "dcgan" {
		mc.Critic = append([]int(nil), mc.Hidden...)
	}
}
