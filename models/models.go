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
	// Encoder is "none" (generator only), "deterministic" (WAE) or
	// "gaussian" (VAE: mean and log-variance heads).
	Encoder string `json:"encoder"`
	// Critic lists the hidden widths of a critic or discriminator; empty
	// means none. CriticOn says what it reads: "data" (WGAN) or "latent"
	// (the latent discriminator of POT/AAE).
	Critic   []int  `json:"critic,omitempty"`
	CriticOn string `json:"critic_on,omitempty"`
	// Norm is the normalisation of a dcgan's encoder and decoder: "none"
	// (or empty, the default) or "batch": a BatchNorm after every
	// convolution of the encoder, after the decoder's first Linear (per
	// channel, once reshaped) and after each of its transposed convolutions
	// but the last, as in DCGAN and the WAE paper's CelebA networks. The
	// critic keeps its LayerNorm (a gradient penalty cannot go through batch
	// normalisation). Only the dcgan architecture accepts "batch".
	Norm string `json:"norm,omitempty"`
	// Prior is the latent distribution P_Z: "gaussian" (N(0, I)) or
	// "uniform" (U[-1, 1]^Latent).
	Prior string `json:"prior"`
	// Seed initialises the parameters.
	Seed uint64 `json:"seed"`
}

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
	for _, d := range c.DataShape {
		if d <= 0 {
			return fmt.Errorf("models: data shape %v has a non-positive size", c.DataShape)
		}
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
	if c.Latent <= 0 {
		return fmt.Errorf("models: latent size %d, want > 0", c.Latent)
	}
	for _, h := range append(append([]int(nil), c.Hidden...), c.Critic...) {
		if h <= 0 {
			return fmt.Errorf("models: hidden width %d, want > 0", h)
		}
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
	case "none", "deterministic", "gaussian":
	default:
		return fmt.Errorf("models: unknown encoder %q (want none, deterministic or gaussian)", c.Encoder)
	}
	if len(c.Critic) > 0 && c.CriticOn != "data" && c.CriticOn != "latent" {
		return fmt.Errorf("models: critic input %q, want data or latent", c.CriticOn)
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
	switch c.Prior {
	case "gaussian", "uniform":
	default:
		return fmt.Errorf("models: unknown prior %q (want gaussian or uniform)", c.Prior)
	}
	return nil
}

// Model is a set of networks sharing one parameter store.
type Model struct {
	Config Config
	Store  *nn.Store
	// Encoder is nil for generator-only models.
	Encoder *Encoder
	Decoder *Decoder
	// Critic is nil unless Config.Critic is set.
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
	if cfg.Encoder != "none" {
		if m.Encoder, err = newEncoder(s, cfg, rng); err != nil {
			return nil, err
		}
	}
	if m.Decoder, err = newDecoder(s, cfg, rng); err != nil {
		return nil, err
	}
	if len(cfg.Critic) > 0 {
		in := cfg.DataDim()
		if cfg.CriticOn == "latent" {
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
	if cfg.Encoder != "none" {
		if m.Encoder, err = newDCGANEncoder(s, cfg, g, rng); err != nil {
			return err
		}
	}
	if m.Decoder, err = newDCGANDecoder(s, cfg, g, rng); err != nil {
		return err
	}
	switch {
	case len(cfg.Critic) == 0:
	case cfg.CriticOn == "latent":
		m.Critic, err = newCritic(s, cfg, cfg.Latent, rng)
	default:
		m.Critic, err = newDCGANCritic(s, g, rng)
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
