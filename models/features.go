package models

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"otgen/nn"
)

// A critic with Config.Features > 1 outputs a feature vector f_φ(x) per
// example instead of one score: the learned ground cost of the
// adversarial OT losses (Genevay, Peyré & Cuturi 2018; Salimans et al.
// 2018) is a cost between such vectors, c_φ(x, y) = c(f_φ(x), f_φ(y)).
// The MLP critic's last Linear and the dcgan critic's "critic.out" then
// have Features outputs; nothing else changes.

// criticOut returns the output width of a critic on the data.
func (c Config) criticOut() int {
	if c.Features > 1 {
		return c.Features
	}
	return 1
}

// validateFeatures checks Features against the rest of the configuration.
func (c Config) validateFeatures() error {
	if c.Features < 0 || c.Features > MaxWidth {
		return fmt.Errorf("models: critic features %d, want 1 to %d (0: a scalar critic)", c.Features, MaxWidth)
	}
	if c.Features > 1 && c.CriticOn != CriticOnData {
		return fmt.Errorf("models: critic features %d need a critic on the data", c.Features)
	}
	return nil
}

// ForwardWithInputGradSeed returns the critic's outputs y (batch×outputs)
// and the vector-Jacobian product ∂(Σ y ⊙ seed)/∂x, built as graph nodes so
// that a penalty on it can be differentiated w.r.t. the critic's
// parameters (second order). seed has y's shape; for a feature critic a
// random unit vector per row gives a gradient penalty on random directions
// of the Jacobian.
func (c *Critic) ForwardWithInputGradSeed(g *nn.Graph, x, seed *G.Node) (y, gx *G.Node, err error) {
	if x, err = flatten(x); err != nil {
		return nil, nil, fmt.Errorf("models: critic input: %w", err)
	}
	y, gx, err = c.Net.ForwardWithInputGrad(g, x, func(y *G.Node) (*G.Node, error) {
		if !y.Shape().Eq(seed.Shape()) {
			return nil, fmt.Errorf("seed of shape %v for outputs of shape %v", seed.Shape(), y.Shape())
		}
		return seed, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("models: critic: %w", err)
	}
	return y, gx, nil
}
