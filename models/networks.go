package models

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

	"otgen/nn"
)

// Encoder is Q(Z|X): a trunk (an MLP, or a dcgan's convolutions) and a
// mean head, plus a log-variance head when the encoder is Gaussian.
type Encoder struct {
	Trunk        nn.Sequential
	Mean, LogVar *nn.Linear
}

// newHeads adds the mean (and, for a Gaussian encoder, log-variance) heads
// "enc.mean" and "enc.logvar" to a trunk whose output has the given width.
func newHeads(s *nn.Store, cfg Config, trunk nn.Sequential, width int, rng *rand.Rand) (*Encoder, error) {
	var err error
	e := &Encoder{Trunk: trunk}
	if e.Mean, err = nn.NewLinear(s, "enc.mean", width, cfg.Latent, nn.GlorotUniform, rng); err != nil {
		return nil, err
	}
	if cfg.Encoder == EncoderGaussian {
		if e.LogVar, err = nn.NewLinear(s, "enc.logvar", width, cfg.Latent, nn.GlorotUniform, rng); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Forward maps a batch x (batch×… data) to the latent mean and, for a
// Gaussian encoder, the log-variance (nil otherwise).
func (e *Encoder) Forward(g *nn.Graph, x *G.Node) (mean, logVar *G.Node, err error) {
	if x, err = flatten(x); err != nil {
		return nil, nil, fmt.Errorf("models: encoder input: %w", err)
	}
	h, err := e.Trunk.Forward(g, x)
	if err != nil {
		return nil, nil, fmt.Errorf("models: encoder: %w", err)
	}
	if mean, err = e.Mean.Forward(g, h); err != nil {
		return nil, nil, fmt.Errorf("models: encoder mean: %w", err)
	}
	if e.LogVar != nil {
		if logVar, err = e.LogVar.Forward(g, h); err != nil {
			return nil, nil, fmt.Errorf("models: encoder log-variance: %w", err)
		}
	}
	return mean, logVar, nil
}

// Decoder is G(Z): a network (an MLP, or a dcgan's transposed
// convolutions) from the latent space to the data space, whose last layer
// produces logits that the output non-linearity maps to data.
type Decoder struct {
	Net    nn.Sequential
	Output string
}

// Forward maps latent codes z (batch×Latent) to the logits (before the
// output non-linearity) and the decoded batch (batch×DataDim).
func (d *Decoder) Forward(g *nn.Graph, z *G.Node) (logits, out *G.Node, err error) {
	if logits, err = d.Net.Forward(g, z); err != nil {
		return nil, nil, fmt.Errorf("models: decoder: %w", err)
	}
	switch d.Output {
	case "sigmoid":
		out, err = nn.Sigmoid{}.Forward(g, logits)
	case "tanh":
		out, err = nn.Tanh{}.Forward(g, logits)
	default:
		out = logits
	}
	if err != nil {
		return nil, nil, fmt.Errorf("models: decoder output: %w", err)
	}
	return logits, out, nil
}

// Critic is a network (an MLP, or a dcgan's convolutions) with one output
// per example: the critic of WGAN or the
// discriminator (logit) of a GAN.
type Critic struct {
	Net nn.Sequential
}

// Forward returns the critic's scores, batch×1.
func (c *Critic) Forward(g *nn.Graph, x *G.Node) (*G.Node, error) {
	x, err := flatten(x)
	if err != nil {
		return nil, fmt.Errorf("models: critic input: %w", err)
	}
	y, err := c.Net.Forward(g, x)
	if err != nil {
		return nil, fmt.Errorf("models: critic: %w", err)
	}
	return y, nil
}

// ForwardWithInputGrad returns the scores and the gradient of their sum
// w.r.t. x, built as graph nodes (for the WGAN-GP penalty).
func (c *Critic) ForwardWithInputGrad(g *nn.Graph, x *G.Node) (y, gx *G.Node, err error) {
	if x, err = flatten(x); err != nil {
		return nil, nil, fmt.Errorf("models: critic input: %w", err)
	}
	y, gx, err = c.Net.ForwardWithInputGrad(g, x, func(y *G.Node) (*G.Node, error) {
		ones := make([]float64, y.Shape().TotalSize())
		for i := range ones {
			ones[i] = 1
		}
		return g.Constant("critic.seed", ones, y.Shape()...), nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("models: critic: %w", err)
	}
	return y, gx, nil
}
