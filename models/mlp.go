package models

import (
	"fmt"
	"math/rand/v2"

	"otgen/nn"
)

func newEncoder(s *nn.Store, cfg Config, rng *rand.Rand) (*Encoder, error) {
	trunk, width, err := mlp(s, "enc", cfg.DataDim(), cfg.Hidden, cfg.Activation, rng)
	if err != nil {
		return nil, err
	}
	return newHeads(s, cfg, trunk, width, rng)
}

func newDecoder(s *nn.Store, cfg Config, rng *rand.Rand) (*Decoder, error) {
	widths := make([]int, len(cfg.Hidden))
	for i, h := range cfg.Hidden {
		widths[len(widths)-1-i] = h
	}
	net, width, err := mlp(s, "dec", cfg.Latent, widths, cfg.Activation, rng)
	if err != nil {
		return nil, err
	}
	out, err := nn.NewLinear(s, fmt.Sprintf("dec.%d", len(widths)), width, cfg.DataDim(), nn.GlorotUniform, rng)
	if err != nil {
		return nil, err
	}
	return &Decoder{Net: append(net, out), Output: cfg.Output}, nil
}

func newCritic(s *nn.Store, cfg Config, in int, rng *rand.Rand) (*Critic, error) {
	net, width, err := mlp(s, "critic", in, cfg.Critic, cfg.Activation, rng)
	if err != nil {
		return nil, err
	}
	outs := 1
	if cfg.CriticOn == CriticOnData {
		outs = cfg.criticOut()
	}
	out, err := nn.NewLinear(s, fmt.Sprintf("critic.%d", len(cfg.Critic)), width, outs, nn.GlorotUniform, rng)
	if err != nil {
		return nil, err
	}
	return &Critic{Net: append(net, out)}, nil
}
