package losses

import (
	"otgen/models"
	"otgen/ot"
)

// SinkhornGAN is the Sinkhorn divergence with an adversarially learned
// ground cost.
//
// newSinkhornGAN builds the learned-cost Sinkhorn loss of Genevay, Peyré &
// Cuturi 2018 ("Learning Generative Models with Sinkhorn Divergences",
// AISTATS, Algorithm 1 with the adversarially learned cost): the debiased
// Sinkhorn divergence of eq. 4,
//
//	S_ε,φ(α, β) = OT_ε,φ(α, β) − ½ OT_ε,φ(α, α) − ½ OT_ε,φ(β, β),
//
// between a generated and a data minibatch under the ground cost
// c_φ(x, y) = ‖f_φ(x) − f_φ(y)‖² (or 1 − cos(f_φ(x), f_φ(y)), OT-GAN's,
// with --cost cosine) on the critic's feature vectors f_φ. The generator
// minimises S_ε,φ; the critic maximises it, n_critic times per
// iteration, held by a gradient penalty or weight clipping (see
// learned.go). The gradients w.r.t. both feature batches come from the
// optimal potentials (envelope theorem).
var SinkhornGAN = Spec{
	Name: "sinkhorn-gan", Aliases: []string{"sinkhorn-learned"}, Rank: 65,
	Title:    "Sinkhorn divergence on learned critic features: the generator minimises it, the critic maximises it",
	Paper:    "Genevay, Peyré & Cuturi 2018, Learning Generative Models with Sinkhorn Divergences (AISTATS), Algorithm 1",
	Equation: "eq. 4 with c_φ(x, y) = ‖f_φ(x) − f_φ(y)‖²: min_θ max_φ S_ε,φ(G_θ(z), x)",
	Model:    "generator, feature critic",
	Uses:     append(append([]string(nil), learnedUses...), "eps", "iters"),
	Defaults: func(c *Config, t *Training, d Data) {
		learnedDefaults(c, t, d)
		if c.Eps == 0 {
			c.Eps = 1
		}
		if c.Iters == 0 {
			c.Iters = 100
		}
	},
	Validate:       validateLearned,
	ConfigureModel: configureFeatureCritic,
	Build:          newSinkhornGAN,
}

func init() { register(SinkhornGAN) }

// newSinkhornGAN builds the steps of the loss (see its Spec).
func newSinkhornGAN(cfg Config, m *models.Model, batch int) ([]*Step, error) {
	return newLearned(cfg, m, batch, func() (pointFunc, *Noise) {
		return &sinkhornDiv{opts: ot.SinkhornOptions{MaxIter: cfg.Iters, P: 2, Workers: 1}, eps: cfg.Eps}, nil
	})
}
