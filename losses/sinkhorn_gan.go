package losses

import (
	"errors"

	"gonum.org/v1/gonum/mat"

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
// c_φ(x, y) = ‖f_φ(x) − f_φ(y)‖^p on the critic's feature vectors f_φ
// (p = 2, --cost sqeuclidean, the paper's and the toys' default; p = 1,
// --cost euclidean, the default on images; or 1 − cos(f_φ(x), f_φ(y)),
// OT-GAN's, with --cost cosine). The generator minimises S_ε,φ; the
// critic maximises it, n_critic times per iteration, held by a gradient
// penalty or weight clipping (see learned.go) — or, with --critic-loss
// repulsive (MNIST's default), minimises the repulsive loss of Wang et al.
// 2019, ½OT_ε,φ(β, β) − ½OT_ε,φ(α, α) for generated β and data α
// (repulsiveSinkhorn). The gradients w.r.t. both feature batches come from
// the optimal potentials (envelope theorem).
//
// On MNIST the repulsive critic on 16 features at Adam 8·10⁻⁴
// (repulsiveRate) is the default: with the DCGANs at 10 minutes (Adam
// 4·10⁻⁴ first, batch 64) its LeNet FID on seeds 1–5
// was 21.7, 21.2, 20.5, 14.7 and 16.6 (mean 19.0; averaged generators
// 20.0, 21.2, 17.6, 16.2, 18.2, mean 18.7), against 23.7, 28.8, 19.3,
// 19.2 and 22.1 for WGAN-GP given the same schedule (mean 22.6; averaged
// mean 19.6) and 24.0, 26.9 and 28.6 for the divergence critic on one
// feature (the default before; seeds 1, 3, 5); on one feature the
// repulsive critic scored 65.8 (seed 3). README "MNIST quality table".
//
// On images the default is p = 1 at ε = 100. As ε grows S_ε tends to the
// MMD whose kernel is −c (Genevay et al. 2018, Theorem 1; Feydy et al.
// 2019): for p = 1 half the energy distance between the feature
// distributions, E‖f(x) − f(y)‖ − ½E‖f(x) − f(x')‖ − ½E‖f(y) − f(y')‖,
// the critic objective of the Cramér GAN (Bellemare et al. 2017), whose
// minibatch gradients are unbiased where the Wasserstein distance's are
// not. A generated point's feature is pushed by the difference between
// the data's and the generated batch's distribution functions at it, not
// in proportion to its distance to its partner as with p = 2. ε = 100 is
// large against the feature distances, which the penalty keeps below the
// pixel distances (about 10 between MNIST digits), so the plan is close to
// the product of the batches. Measured on MNIST (DCGANs, 10 minutes, batch
// 64, 2 cores; README "MNIST quality table"): LeNet FID 35.8, 39.9, 45.4
// and 37.0 on seeds 1–4, against 49.7 and 50.8 (seeds 1, 2) for p = 2 at
// ε 1, the default before; p = 2 at ε 10 and 30 gave 41.9, 52.7 and 48.9.
// WGAN-GP given the same schedule scored 35.8, 44.3, 30.0 and 38.5 (means
// 37.2 against 39.5): not beaten; five seeds on a slower machine gave
// means 37.4 against 33.0, WGAN-GP's KID lower on every seed. Both at
// twice the rate, 4·10⁻⁴ (sinkhorn-gan's MNIST default since, mnistRate):
// 26.9 and 28.6 against WGAN-GP's 19.3 and 22.1 on seeds 3 and 5, both
// far better than at 2·10⁻⁴, WGAN-GP still ahead. On CelebA (15 minutes,
// 1,512 steps, one run)
// the attribute-space FID falls from 389.9 to 206.8 (README "CelebA
// 64×64").
var SinkhornGAN = Spec{
	Name: "sinkhorn-gan", Aliases: []string{"sinkhorn-learned"}, Rank: 65,
	Title:    "Sinkhorn divergence on learned critic features: the generator minimises it, the critic maximises it (or, repulsive, spreads the data's features)",
	Paper:    "Genevay, Peyré & Cuturi 2018, Learning Generative Models with Sinkhorn Divergences (AISTATS), Algorithm 1; the repulsive critic: Wang, Sun & Halgamuge 2019, Improving MMD-GAN Training with Repulsive Loss Function (ICLR)",
	Equation: "eq. 4 with c_φ(x, y) = ‖f_φ(x) − f_φ(y)‖^p: min_θ max_φ S_ε,φ(G_θ(z), x); the repulsive critic minimises ½OT_ε,φ(G_θ(z), G_θ(z)) − ½OT_ε,φ(x, x)",
	Model:    "generator, feature critic",
	Uses:     append(append([]string(nil), learnedUses...), "critic-loss", "eps", "iters"),
	Defaults: func(c *Config, t *Training, d Data) {
		images := !d.Points()
		if images && c.Cost == "" {
			c.Cost = costEuclid
		}
		if c.CriticLoss == "" {
			c.CriticLoss = criticDivergence
			if d.Name == "mnist" {
				c.CriticLoss = criticRepulsive
			}
		}
		if c.CriticLoss == criticRepulsive && c.Features == 0 {
			c.Features = repulsiveFeatures
		}
		learnedDefaults(c, t, d)
		if d.Name == "mnist" {
			t.LR = mnistRate
			if c.CriticLoss == criticRepulsive {
				t.LR = repulsiveRate
			}
		}
		if c.Eps == 0 {
			c.Eps = 1
			if images && c.Cost == costEuclid {
				c.Eps = 100
			}
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

// mnistRate is sinkhorn-gan's Adam rate on MNIST with the divergence
// critic, twice the learned costs'
// image rate: with the DCGANs at 10 minutes (batch 64, seeds 3 and 5) it
// lowered the LeNet FID from 36.6 and 39.5 to 26.9 and 28.6 (README
// "MNIST quality table"). CelebA keeps 2·10⁻⁴, untried at 4·10⁻⁴, and so
// does minibatch-w-gan.
const mnistRate = 4e-4

// repulsiveRate is the Adam rate of sinkhorn-gan with the repulsive critic
// on MNIST, twice mnistRate: with the DCGANs at 10 minutes (batch 64,
// --ema 0.999, seeds 1–5) its LeNet FID was 12.1, 12.1, 11.5, 11.2 and
// 13.6 (mean 12.1; averaged generators mean 11.0) against a mean of 19.0
// at 4·10⁻⁴, and WGAN-GP's at 8·10⁻⁴, its best rate, 11.0, 27.1, 10.3,
// 14.1 and 15.9 (mean 15.7; averaged 11.2, its KID lower). README "MNIST
// quality table". The divergence critic keeps mnistRate: at 8·10⁻⁴ it
// broke down on one seed of two (LeNet FID 66.7).
const repulsiveRate = 8e-4

// newSinkhornGAN builds the steps of the loss (see its Spec).
func newSinkhornGAN(cfg Config, m *models.Model, batch int) ([]*Step, error) {
	var critic func() (pointFunc, *Noise)
	if cfg.CriticLoss == criticRepulsive {
		critic = func() (pointFunc, *Noise) { return repulsiveSinkhorn{learnedSinkhorn(cfg)}, nil }
	}
	return newLearned(cfg, m, batch, func() (pointFunc, *Noise) { return learnedSinkhorn(cfg), nil }, critic)
}

// repulsiveSinkhorn is the repulsive critic loss of Wang, Sun & Halgamuge
// 2019 ("Improving MMD-GAN Training with Repulsive Loss Function", ICLR:
// L_D^rep = E k(x, x') − E k(y, y') for data x and generated y)
// with the Sinkhorn divergence's self terms in place of the kernel means,
//
//	L_φ(y, x) = ½ OT_ε,φ(β, β) − ½ OT_ε,φ(α, α),
//
// β the generated batch and α the data (for ε → ∞ and the kernel −c it is
// their loss). The critic minimising it spreads the data's features apart
// and gathers the generated ones, instead of gathering the data's as the
// divergence's −½OT_ε(α, α) term does; the generator still minimises the
// divergence. Gradients from the symmetric potentials (ot.SinkhornSelf).
type repulsiveSinkhorn struct{ div *sinkhornDiv }

func (repulsiveSinkhorn) name() string { return "sinkhorn_repulsive" }

func (r repulsiveSinkhorn) eval(x, y []float64, n, m, d int, gx, gy []float64) (float64, error) {
	self := func(p []float64, rows int, g []float64, sign float64) (float64, error) {
		opts := r.div.opts
		v, grad, err := ot.SinkhornSelf(mat.NewDense(rows, d, p), nil, r.div.eps, &opts)
		// A fixed iteration budget is the loss's definition, as in
		// sinkhornDiv.eval.
		if err != nil && !(errors.Is(err, ot.ErrNotConverged) && grad != nil) {
			return 0, err
		}
		for i, gi := range grad.RawMatrix().Data {
			g[i] = sign * gi / 2
		}
		return sign * v / 2, nil
	}
	vx, err := self(x, n, gx, 1)
	if err != nil {
		return 0, err
	}
	vy, err := self(y, m, gy, -1)
	if err != nil {
		return 0, err
	}
	return vx + vy, nil
}

// learnedSinkhorn returns the Sinkhorn divergence between feature batches
// for the ground cost and ε of cfg.
func learnedSinkhorn(cfg Config) *sinkhornDiv {
	return &sinkhornDiv{opts: ot.SinkhornOptions{MaxIter: cfg.Iters, P: groundPower(cfg.Cost), Workers: 1}, eps: cfg.Eps}
}
