package losses

import (
	"fmt"

	"gorgonia.org/tensor"

	"otgen/models"
	"otgen/ot"
)

// MinibatchWGAN is the minibatch Wasserstein loss with an adversarially
// learned ground cost.
//
// newMinibatchWGAN builds the minibatch Wasserstein loss of Fatras et al.
// 2020 (eq. 4, the incomplete estimator over k pairs of minibatches of
// size m, exact OT on each pair) on the critic's feature vectors, as in the
// minibatch OT GANs of Fatras, Zine, Majewski, Flamary, Gribonval & Courty
// 2021 ("Minibatch optimal transport distances; analysis and
// applications"):
//
//	h̃_k,φ(X, Y) = 1/k Σ_{(I,J) ∈ D_k} W_φ(μ_I, ν_J),   c_φ(x, y) = ‖f_φ(x) − f_φ(y)‖²
//
// (or ‖f_φ(x) − f_φ(y)‖ with --cost euclidean, or the cosine cost with
// --cost cosine). The generator minimises it; the critic maximises it,
// n_critic times per iteration, held by a gradient penalty or weight
// clipping (see learned.go). The gradients w.r.t. both feature batches
// come from the optimal plans (envelope theorem).
var MinibatchWGAN = Spec{
	Name: "minibatch-w-gan", Aliases: []string{"mbw-gan", "minibatch-w-learned"}, Rank: 75,
	Title:    "minibatch Wasserstein on learned critic features: the generator minimises it, the critic maximises it",
	Paper:    "Fatras, Zine, Majewski, Flamary, Gribonval & Courty 2021, Minibatch optimal transport distances; analysis and applications; Fatras et al. 2020 (AISTATS)",
	Equation: "eq. 4 with c_φ(x, y) = ‖f_φ(x) − f_φ(y)‖^p: min_θ max_φ h̃_k,φ(G_θ(z), x)",
	Model:    "generator, feature critic",
	Uses:     append(append([]string(nil), learnedUses...), "k", "m"),
	Defaults: func(c *Config, t *Training, d Data) {
		learnedDefaults(c, t, d)
		// One pair of whole batches: the critic sees the batch's own plan.
		if c.K == 0 {
			c.K = 1
		}
		if c.M == 0 {
			c.M = t.Batch
			if c.M < 2 {
				c.M = 64 // no batch size known
			}
		}
	},
	Validate: validateLearned,
	FitBatch: func(c *Config, batch int) { c.M = batch },
	CheckBatch: func(c Config, batch int) error {
		if c.M > batch {
			return fmt.Errorf("losses: minibatch size m = %d is larger than the batch (%d)", c.M, batch)
		}
		return nil
	},
	ConfigureModel: configureFeatureCritic,
	Build:          newMinibatchWGAN,
}

func init() { register(MinibatchWGAN) }

// newMinibatchWGAN builds the steps of the loss (see its Spec).
func newMinibatchWGAN(cfg Config, m *models.Model, batch int) ([]*Step, error) {
	return newLearned(cfg, m, batch, func() (pointFunc, *Noise) {
		seed := tensor.New(tensor.Of(m.Store.Dtype()), tensor.WithShape(2))
		f := &minibatchW{opts: ot.MinibatchOptions{M: cfg.M, K: cfg.K, P: groundPower(cfg.Cost), Grad: true}, seed: seed}
		return f, &Noise{T: seed, Dist: Unit}
	}, nil)
}
