// Package models builds otgen's networks from a small configuration: MLP
// encoders Q(Z|X) with mean and log-variance heads, decoders and generators
// G(Z), and critics. A Model owns the parameters (an nn.Store) and can run
// its networks outside training (Generate, Encode, Reconstruct) for sampling
// and evaluation.
//
// Parameter names are stable so that checkpoints stay readable: "enc.<i>.w",
// "enc.mean.w", "enc.logvar.w", "dec.<i>.w", "critic.<i>.w" (and ".b"); the
// dcgan names are listed in dcgan.go. Besides parameters the store may hold
// buffers (the running statistics of batch normalisation), which are saved
// with the parameters but not trained.
//
// Generate, Encode and Reconstruct run the networks in evaluation mode
// (batch normalisation uses its running statistics), so an example's
// output does not depend on the rest of its batch.
package models

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/nn"
)

// Config describes a model. It is stored in checkpoint headers, so every
// field is plain data.
type Config struct {
	// Arch is the network family: "mlp" or "dcgan" (convolutional, for
	// data shapes C×28×28 and C×64×64; see dcgan.go). A dcgan ignores
	// Hidden and Activation, and the widths of Critic when the critic reads
	// data (any non-empty Critic then just asks for a critic).
	Arch string `json:"arch"`
	// Channels is the base channel width of a dcgan (0 = DefaultChannels:
	// 32 for 28×28, 64 for 64×64); stage i has Channels·2^i channels.
	Channels int `json:"channels,omitempty"`
	// DataShape is the shape of one example, e.g. [2] or [1 28 28].
	DataShape []int `json:"data_shape"`
	// Latent is the size of Z.
	Latent int `json:"latent"`
	// Hidden are the widths of the hidden layers of the encoder and, in
	// reverse order, of the decoder.
	Hidden []int `json:"hidden"`
	// Activation is the hidden activation: relu, leaky_relu, tanh, sigmoid.
	Activation string `json:"activation"`
	// Output is the decoder's output non-linearity: "linear" for real
	// vectors, "sigmoid" for pixels in [0,1], "tanh" for pixels in [-1,1].
	Output string `json:"output"`
	// Encoder is the kind of encoder Q(Z|X), none for a generator only.
	Encoder EncoderKind `json:"encoder"`
	// CriticOn says whether the model has a critic (or discriminator) and
	// what it reads: nothing (CriticNone), the data (WGAN) or the latent
	// codes (the latent discriminator of POT/AAE). Critic lists the hidden
	// widths of an MLP critic; a dcgan's data critic takes its widths from
	// Channels and ignores Critic.
	Critic   []int       `json:"critic,omitempty"`
	CriticOn CriticInput `json:"critic_on,omitempty"`
	// Features is the output width of a critic on the data: 0 (or 1) for
	// a scalar critic (WGAN), more for a critic whose feature vectors
	// define a learned ground cost (the learned-cost OT losses; see
	// features.go).
	Features int `json:"features,omitempty"`
	// Norm is the normalisation of a dcgan's encoder and decoder: "none"
	// (or empty, the default) or "batch": a BatchNorm after every
	// convolution of the encoder, after the decoder's first Linear (per
	// channel, once reshaped) and after each of its transposed convolutions
	// but the last, as in DCGAN and the WAE paper's CelebA networks. The
	// critic keeps its LayerNorm (a gradient penalty cannot go through batch
	// normalisation). Only the dcgan architecture accepts "batch".
	Norm string `json:"norm,omitempty"`
	// CriticNorm is the normalisation of a dcgan's critic on the data:
	// "layer" (or empty, the default) puts a LayerNorm over (C, H, W) after
	// every convolution but the first, as Gulrajani et al. 2017 advise for
	// WGAN-GP; "none" leaves the plain DCGAN critic (conv → leaky ReLU), the
	// network of ../shared/peers/torch_dcgan_mnist.py.
	CriticNorm string `json:"critic_norm,omitempty"`
	// Prior is the latent distribution P_Z.
	Prior Prior `json:"prior"`
	// Seed initialises the parameters.
	Seed uint64 `json:"seed"`
}

// EncoderKind is the kind of encoder of a model.
type EncoderKind string

// The encoder kinds.
const (
	EncoderNone          EncoderKind = "none"          // a generator only
	EncoderDeterministic EncoderKind = "deterministic" // z = Q(x) (WAE, POT)
	EncoderGaussian      EncoderKind = "gaussian"      // mean and log-variance heads (VAE)
)

// CriticInput says what a model's critic reads, if it has one.
type CriticInput string

// The critic inputs.
const (
	CriticNone     CriticInput = ""       // no critic
	CriticOnData   CriticInput = "data"   // a critic of examples (WGAN)
	CriticOnLatent CriticInput = "latent" // a discriminator of latent codes (POT/AAE)
)

// Prior is the latent distribution P_Z of a model.
type Prior string

// The priors.
const (
	PriorGaussian Prior = "gaussian" // N(0, I)
	PriorUniform  Prior = "uniform"  // U[-1, 1]^Latent
)

// Size bounds that Validate enforces before anything is allocated, so an
// absurd configuration (a typo, a corrupt checkpoint) is an error instead
// of a crash for want of memory.
const (
	// MaxWidth bounds every layer width, the latent size and a dcgan's
	// base channels.
	MaxWidth = 1 << 16
	// MaxDataDim bounds the values of one example (3×1024×1024).
	MaxDataDim = 3 << 20
	// MaxParameters bounds the number of parameters of all networks of a
	// model (2 GB of float32).
	MaxParameters = 500_000_000
)

// DataDim returns the number of values of one example.
func (c Config) DataDim() int {
	n := 1
	for _, d := range c.DataShape {
		n *= d
	}
	return n
}

// Validate reports the first invalid field of c.
func (c Config) Validate() error {
	if len(c.DataShape) == 0 {
		return errors.New("models: empty data shape")
	}
	dim := 1
	for _, d := range c.DataShape {
		if d <= 0 {
			return fmt.Errorf("models: data shape %v has a non-positive size", c.DataShape)
		}
		if d > MaxDataDim || dim*d > MaxDataDim {
			return fmt.Errorf("models: data shape %v has more than %d values", c.DataShape, MaxDataDim)
		}
		dim *= d
	}
	switch c.Arch {
	case "mlp":
	case "dcgan":
		if _, err := dcganLayout(c); err != nil {
			return err
		}
	default:
		return fmt.Errorf("models: unknown architecture %q (want mlp or dcgan)", c.Arch)
	}
	if c.Latent <= 0 || c.Latent > MaxWidth {
		return fmt.Errorf("models: latent size %d, want 1 to %d", c.Latent, MaxWidth)
	}
	for _, h := range append(append([]int(nil), c.Hidden...), c.Critic...) {
		if h <= 0 || h > MaxWidth {
			return fmt.Errorf("models: hidden width %d, want 1 to %d", h, MaxWidth)
		}
	}
	if c.Channels < 0 || c.Channels > MaxWidth {
		return fmt.Errorf("models: channels %d, want 1 to %d (0: the default)", c.Channels, MaxWidth)
	}
	if _, err := nn.Activation(c.Activation); err != nil {
		return fmt.Errorf("models: %w", err)
	}
	switch c.Output {
	case "linear", "sigmoid", "tanh":
	default:
		return fmt.Errorf("models: unknown output %q (want linear, sigmoid or tanh)", c.Output)
	}
	switch c.Encoder {
	case EncoderNone, EncoderDeterministic, EncoderGaussian:
	default:
		return fmt.Errorf("models: unknown encoder %q (want none, deterministic or gaussian)", c.Encoder)
	}
	switch c.CriticOn {
	case CriticNone:
		if len(c.Critic) > 0 {
			return fmt.Errorf("models: critic widths %v but no critic input (want data or latent)", c.Critic)
		}
	case CriticOnData, CriticOnLatent:
		if len(c.Critic) == 0 && (c.Arch == "mlp" || c.CriticOn == CriticOnLatent) {
			return fmt.Errorf("models: a critic on the %s needs hidden widths", c.CriticOn)
		}
	default:
		return fmt.Errorf("models: critic input %q, want data or latent", c.CriticOn)
	}
	if err := c.validateFeatures(); err != nil {
		return err
	}
	switch c.Norm {
	case "", "none":
	case "batch":
		if c.Arch != "dcgan" {
			return fmt.Errorf("models: norm %q needs arch dcgan, not %q", c.Norm, c.Arch)
		}
	default:
		return fmt.Errorf("models: unknown norm %q (want none or batch)", c.Norm)
	}
	switch c.CriticNorm {
	case "", "layer":
	case "none":
		if c.Arch != "dcgan" {
			return fmt.Errorf("models: critic norm %q needs arch dcgan, not %q", c.CriticNorm, c.Arch)
		}
	default:
		return fmt.Errorf("models: unknown critic norm %q (want layer or none)", c.CriticNorm)
	}
	if n := c.parameterEstimate(); n > MaxParameters {
		return fmt.Errorf("models: about %.3g parameters, more than the %d this build allows (check --hidden, --latent, --channels)", n, MaxParameters)
	}
	switch c.Prior {
	case PriorGaussian, PriorUniform:
	default:
		return fmt.Errorf("models: unknown prior %q (want gaussian or uniform)", c.Prior)
	}
	return nil
}

// parameterEstimate returns the number of weights of the model's networks
// (biases and normalisation gains left out), computed in float64 from the
// configuration alone so that it cannot overflow.
func (c Config) parameterEstimate() float64 {
	dense := func(in float64, widths []int, out float64) float64 {
		n := 0.0
		for _, w := range widths {
			n += in * float64(w)
			in = float64(w)
		}
		return n + in*out
	}
	dim, z := float64(c.DataDim()), float64(c.Latent)
	heads := 1.0
	if c.Encoder == EncoderGaussian {
		heads = 2
	}
	var n float64
	if g, err := dcganLayout(c); c.Arch == "dcgan" && err == nil {
		conv := float64(g.c) * float64(g.width(0)) * 16
		for i := 1; i < g.stages; i++ {
			conv += float64(g.width(i-1)) * float64(g.width(i)) * 16
		}
		lc, lh, lw := g.last()
		flat := float64(lc) * float64(lh) * float64(lw)
		n = conv + z*flat // decoder: projection and transposed convolutions
		if c.Encoder != EncoderNone {
			n += conv + heads*flat*z
		}
		if c.CriticOn == CriticOnData {
			n += conv + flat*float64(c.criticOut())
		}
	} else {
		n = dense(z, c.Hidden, dim)
		if c.Encoder != EncoderNone {
			n += dense(dim, c.Hidden, heads*z)
		}
		if c.CriticOn == CriticOnData {
			n += dense(dim, c.Critic, float64(c.criticOut()))
		}
	}
	if c.CriticOn == CriticOnLatent {
		n += dense(z, c.Critic, 1)
	}
	return n
}

// IsGenerator reports whether the store tensor name belongs to the
// generator (decoder): its name starts with "dec.".
func IsGenerator(name string) bool { return strings.HasPrefix(name, "dec.") }

// Model is a set of networks sharing one parameter store.
type Model struct {
	Config Config
	Store  *nn.Store
	// Encoder is nil for generator-only models.
	Encoder *Encoder
	Decoder *Decoder
	// Critic is nil unless Config.CriticOn names its input.
	Critic *Critic
}

// New creates a model with freshly initialised parameters of the given
// dtype (tensor.Float32 for training, tensor.Float64 for gradient checks).
func New(cfg Config, dtype tensor.Dtype) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6d6f64656c73))
	s := nn.NewStore(dtype)
	m := &Model{Config: cfg, Store: s}
	if cfg.Arch == "dcgan" {
		if err := m.newDCGAN(rng); err != nil {
			return nil, err
		}
		return m, nil
	}
	var err error
	if cfg.Encoder != EncoderNone {
		if m.Encoder, err = newEncoder(s, cfg, rng); err != nil {
			return nil, err
		}
	}
	if m.Decoder, err = newDecoder(s, cfg, rng); err != nil {
		return nil, err
	}
	if cfg.CriticOn != CriticNone {
		in := cfg.DataDim()
		if cfg.CriticOn == CriticOnLatent {
			in = cfg.Latent
		}
		if m.Critic, err = newCritic(s, cfg, in, rng); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// newDCGAN builds the convolutional networks of a dcgan model.
func (m *Model) newDCGAN(rng *rand.Rand) error {
	cfg, s := m.Config, m.Store
	g, err := dcganLayout(cfg)
	if err != nil {
		return err
	}
	if cfg.Encoder != EncoderNone {
		if m.Encoder, err = newDCGANEncoder(s, cfg, g, rng); err != nil {
			return err
		}
	}
	if m.Decoder, err = newDCGANDecoder(s, cfg, g, rng); err != nil {
		return err
	}
	switch cfg.CriticOn {
	case CriticNone:
	case CriticOnLatent:
		m.Critic, err = newCritic(s, cfg, cfg.Latent, rng)
	default:
		m.Critic, err = newDCGANCritic(s, g, cfg.criticNorm(), cfg.criticOut(), rng)
	}
	return err
}

// mlp builds Linear+activation layers prefix.0 … prefix.(len(widths)-1).
func mlp(s *nn.Store, prefix string, in int, widths []int, act string, rng *rand.Rand) (nn.Sequential, int, error) {
	var seq nn.Sequential
	init := nn.HeNormal
	if act == "tanh" || act == "sigmoid" {
		init = nn.GlorotUniform
	}
	for i, w := range widths {
		l, err := nn.NewLinear(s, fmt.Sprintf("%s.%d", prefix, i), in, w, init, rng)
		if err != nil {
			return nil, 0, err
		}
		a, err := nn.Activation(act)
		if err != nil {
			return nil, 0, err
		}
		seq = append(seq, l)
		if a != nil {
			seq = append(seq, a)
		}
		in = w
	}
	return seq, in, nil
}

// flatten reshapes a batch node to batch×(product of the rest).
func flatten(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if len(s) == 2 {
		return x, nil
	}
	n := 1
	for _, d := range s[1:] {
		n *= d
	}
	return G.Reshape(x, tensor.Shape{s[0], n})
}
