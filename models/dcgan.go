package models

import (
	"fmt"
	"math/rand/v2"

	"otgen/nn"
)

// DCGAN-style convolutional networks (Radford et al. 2016; the sizes of the
// WAE paper's CelebA setup and of PyTorch-GAN's DCGAN), for examples of shape
// 1×28×28 (two stride-2 stages, 28→14→7) and 3×64×64 (four stages,
// 64→32→16→8→4). With base width C = Config.Channels, stage i has C·2^i
// channels. Every convolution has kernel 4, stride 2 and padding 1.
//
//   - Encoder: Reshape to C×H×W, Conv2d stages each followed by
//     LeakyReLU(0.2), Flatten, then Linear mean and log-variance heads.
//   - Decoder: Linear to the smallest feature map, Reshape, ReLU, then
//     ConvTranspose2d stages (ReLU between them) back to the data shape,
//     Flatten; the output non-linearity comes last.
//   - With Config.Norm "batch", a BatchNorm comes before every activation
//     of the encoder and decoder: after each encoder convolution (all of
//     them, as in the WAE paper's CelebA encoder), after the decoder's
//     reshaped Linear (per channel, like DCGAN's projection) and after each
//     transposed convolution but the last.
//   - Critic (on data): Conv2d stages, LayerNorm on every stage but the first
//     (no batch normalisation: the WGAN-GP penalty treats examples
//     independently; none with Config.CriticNorm "none"), LeakyReLU(0.2),
//     Flatten, Linear to one score. A critic
//     on the latent space (POT/AAE) stays an MLP of widths Config.Critic.
//
// Networks take and return flat batch×DataDim tensors, so losses and the
// training loop are the same as for MLPs. Parameter names: "enc.c<i>",
// "enc.mean", "enc.logvar", "dec.fc", "dec.t<i>", "critic.c<i>",
// "critic.n<i>" (LayerNorm gain .g and bias .b), "critic.out"; with batch
// normalisation "enc.n<i>" (after enc.c<i>), "dec.nfc" (after dec.fc) and
// "dec.n<i>" (after dec.t<i>), each with gain .g, shift .b and the buffers
// .running_mean and .running_var.

// dcganGeom is the layout of a DCGAN for one data shape.
type dcganGeom struct {
	c, h, w int // data channels and size
	stages  int // stride-2 stages
	base    int // channels of the first stage
}

// DefaultChannels returns the base channel width used when Config.Channels
// is 0: 32 for 1×28×28, 64 for 3×64×64.
func DefaultChannels(shape []int) int {
	if len(shape) == 3 && shape[1] == 64 {
		return 64
	}
	return 32
}

func dcganLayout(cfg Config) (dcganGeom, error) {
	s := cfg.DataShape
	var g dcganGeom
	switch {
	case len(s) == 3 && s[1] == 28 && s[2] == 28:
		g = dcganGeom{c: s[0], h: 28, w: 28, stages: 2}
	case len(s) == 3 && s[1] == 64 && s[2] == 64:
		g = dcganGeom{c: s[0], h: 64, w: 64, stages: 4}
	default:
		return g, fmt.Errorf("models: dcgan supports data shapes C×28×28 and C×64×64, not %v", s)
	}
	if cfg.Channels < 0 {
		return g, fmt.Errorf("models: %d channels, want >= 0 (0 = default)", cfg.Channels)
	}
	g.base = cfg.Channels
	if g.base == 0 {
		g.base = DefaultChannels(s)
	}
	return g, nil
}

// width returns the channels of stage i.
func (g dcganGeom) width(i int) int { return g.base << i }

// last returns the channels and size of the smallest feature map.
func (g dcganGeom) last() (c, h, w int) {
	return g.width(g.stages - 1), g.h >> g.stages, g.w >> g.stages
}

// criticNorm is the convStack normalisation of the dcgan critic (see
// Config.CriticNorm).
func (c Config) criticNorm() string {
	if c.CriticNorm == "" {
		return "layer"
	}
	return c.CriticNorm
}

// convStack builds the Conv2d stages shared by encoder and critic. With
// norm "layer" every stage but the first is followed by a LayerNorm; with
// norm "batch" every stage is followed by a BatchNorm; other values ("",
// "none") add no normalisation.
func (g dcganGeom) convStack(s *nn.Store, prefix, norm string, rng *rand.Rand) (nn.Sequential, int, error) {
	seq := nn.Sequential{nn.Reshape{Shape: []int{g.c, g.h, g.w}}}
	in := g.c
	for i := 0; i < g.stages; i++ {
		out := g.width(i)
		conv, err := nn.NewConv2d(s, fmt.Sprintf("%s.c%d", prefix, i), in, out, 4, 2, 1, nn.HeNormal, rng)
		if err != nil {
			return nil, 0, err
		}
		seq = append(seq, conv)
		name := fmt.Sprintf("%s.n%d", prefix, i)
		switch {
		case norm == "layer" && i > 0:
			ln, err := nn.NewLayerNorm(s, name, out, 0)
			if err != nil {
				return nil, 0, err
			}
			seq = append(seq, ln)
		case norm == "batch":
			bn, err := nn.NewBatchNorm(s, name, out)
			if err != nil {
				return nil, 0, err
			}
			seq = append(seq, bn)
		}
		seq = append(seq, nn.LeakyReLU{Alpha: 0.2})
		in = out
	}
	c, h, w := g.last()
	return append(seq, nn.Flatten{}), c * h * w, nil
}

func newDCGANEncoder(s *nn.Store, cfg Config, g dcganGeom, rng *rand.Rand) (*Encoder, error) {
	trunk, width, err := g.convStack(s, "enc", cfg.Norm, rng)
	if err != nil {
		return nil, err
	}
	return newHeads(s, cfg, trunk, width, rng)
}

func newDCGANDecoder(s *nn.Store, cfg Config, g dcganGeom, rng *rand.Rand) (*Decoder, error) {
	c, h, w := g.last()
	fc, err := nn.NewLinear(s, "dec.fc", cfg.Latent, c*h*w, nn.HeNormal, rng)
	if err != nil {
		return nil, err
	}
	net := nn.Sequential{fc, nn.Reshape{Shape: []int{c, h, w}}}
	// batchNorm appends a BatchNorm called name over ch channels when the
	// configuration asks for one.
	batchNorm := func(name string, ch int) error {
		if cfg.Norm != "batch" {
			return nil
		}
		bn, err := nn.NewBatchNorm(s, name, ch)
		if err == nil {
			net = append(net, bn)
		}
		return err
	}
	if err := batchNorm("dec.nfc", c); err != nil {
		return nil, err
	}
	net = append(net, nn.ReLU{})
	in := c
	for i := 0; i < g.stages; i++ {
		out := g.c
		init := nn.GlorotUniform
		if i < g.stages-1 {
			out = g.width(g.stages - 2 - i)
			init = nn.HeNormal
		}
		t, err := nn.NewConvTranspose2d(s, fmt.Sprintf("dec.t%d", i), in, out, 4, 2, 1, init, rng)
		if err != nil {
			return nil, err
		}
		net = append(net, t)
		if i < g.stages-1 {
			if err := batchNorm(fmt.Sprintf("dec.n%d", i), out); err != nil {
				return nil, err
			}
			net = append(net, nn.ReLU{})
		}
		in = out
	}
	return &Decoder{Net: append(net, nn.Flatten{}), Output: cfg.Output}, nil
}

// newDCGANCritic is the dcgan critic with a Linear head of outs outputs: one
// score (WGAN) or the feature vectors of a learned ground cost.
func newDCGANCritic(s *nn.Store, g dcganGeom, norm string, outs int, rng *rand.Rand) (*Critic, error) {
	net, width, err := g.convStack(s, "critic", norm, rng)
	if err != nil {
		return nil, err
	}
	out, err := nn.NewLinear(s, "critic.out", width, outs, nn.GlorotUniform, rng)
	if err != nil {
		return nil, err
	}
	return &Critic{Net: append(net, out)}, nil
}
