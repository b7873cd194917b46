package losses

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
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
// clipping (see learned.go) — or, with --critic-loss repulsive, minimises
// the repulsive loss of Wang et al. 2019 built from the minibatch OT of
// each batch's two halves (repulsiveMinibatchW). With --debias the loss is
// the debiased Λ_k,m = h̃(β, α) − ½h̃(β, β) − ½h̃(α, α) (Fatras et al.
// 2021; debiasedMinibatchW). The gradients w.r.t. both feature batches
// come from the optimal plans (envelope theorem).
var MinibatchWGAN = Spec{
	Name: "minibatch-w-gan", Aliases: []string{"mbw-gan", "minibatch-w-learned"}, Rank: 75,
	Title:    "minibatch Wasserstein on learned critic features: the generator minimises it, the critic maximises it (or, repulsive, spreads the data's features)",
	Paper:    "Fatras, Zine, Majewski, Flamary, Gribonval & Courty 2021, Minibatch optimal transport distances; analysis and applications; Fatras et al. 2020 (AISTATS); the repulsive critic: Wang, Sun & Halgamuge 2019 (ICLR)",
	Equation: "eq. 4 with c_φ(x, y) = ‖f_φ(x) − f_φ(y)‖^p: min_θ max_φ h̃_k,φ(G_θ(z), x), or its debiased Λ_k,φ = h̃_k,φ(G_θ(z), x) − ½h̃_k,φ(G_θ(z), G_θ(z)) − ½h̃_k,φ(x, x); the repulsive critic minimises ½h̃_k,φ(y₁, y₂) − ½h̃_k,φ(x₁, x₂) over the halves of the generated and the data batch",
	Model:    "generator, feature critic",
	Uses:     append(append([]string(nil), learnedUses...), "critic-loss", "debias", "k", "m"),
	Defaults: func(c *Config, t *Training, d Data) {
		if c.CriticLoss == "" {
			c.CriticLoss = criticDivergence
		}
		if c.CriticLoss == criticRepulsive && c.Features == 0 {
			c.Features = repulsiveFeatures
		}
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
	opts := ot.MinibatchOptions{M: cfg.M, K: cfg.K, P: groundPower(cfg.Cost), Grad: true}
	newSeed := func() (*tensor.Dense, *Noise) {
		seed := tensor.New(tensor.Of(m.Store.Dtype()), tensor.WithShape(2))
		return seed, &Noise{T: seed, Dist: Unit}
	}
	var critic func() (pointFunc, *Noise)
	if cfg.CriticLoss == criticRepulsive {
		critic = func() (pointFunc, *Noise) {
			seed, noise := newSeed()
			return &repulsiveMinibatchW{selfTerms{opts: opts, seed: seed}}, noise
		}
	}
	return newLearned(cfg, m, batch, func() (pointFunc, *Noise) {
		seed, noise := newSeed()
		f := &minibatchW{opts: opts, seed: seed}
		if cfg.Debias {
			return debiasedMinibatchW{f}, noise
		}
		return f, noise
	}, critic)
}

// The salts of the self terms' minibatch draws: the halves of the first
// and of the second batch draw their pairs apart from the pairs between
// the batches.
const (
	saltX uint64 = 0x2545f4914f6cdd1d
	saltY uint64 = 0x9e3779b97f4a7c15
)

// halvesW returns coef·h̃_k,m(p₁, p₂), the minibatch Wasserstein estimator
// of opts between the two halves p₁, p₂ of the rows of p (a last odd row
// left out; m at most the half) drawn with seed, and adds coef times its
// gradient to g.
func halvesW(opts ot.MinibatchOptions, seed uint64, p []float64, rows, d int, g []float64, coef float64) (float64, error) {
	h := rows / 2
	if h < 1 {
		return 0, fmt.Errorf("the self terms need batches of at least 2, got %d", rows)
	}
	opts.M = min(opts.M, h)
	opts.Seed = seed
	res, err := ot.MinibatchWasserstein(mat.NewDense(h, d, p[:h*d]), mat.NewDense(h, d, p[h*d:2*h*d]), &opts)
	if err != nil {
		return 0, err
	}
	for i, v := range res.GradX.RawMatrix().Data {
		g[i] += coef * v
	}
	for i, v := range res.GradY.RawMatrix().Data {
		g[h*d+i] += coef * v
	}
	return coef * res.Value, nil
}

// selfTerms are the self terms h̃(p₁, p₂) of minibatch-w-gan's debiased
// loss and repulsive critic: the estimator of opts between the halves of
// each batch, drawn from seed.
type selfTerms struct {
	opts ot.MinibatchOptions
	seed *tensor.Dense // two U[0,1) draws, refilled before each run
}

// add returns cx·h̃(x₁, x₂) + cy·h̃(y₁, y₂) and adds its gradients to gx
// and gy.
func (s selfTerms) add(x, y []float64, n, m, d int, gx, gy []float64, cx, cy float64) (float64, error) {
	seed := seedFrom(s.seed)
	vx, err := halvesW(s.opts, seed^saltX, x, n, d, gx, cx)
	if err != nil {
		return 0, err
	}
	vy, err := halvesW(s.opts, seed^saltY, y, m, d, gy, cy)
	if err != nil {
		return 0, err
	}
	return vx + vy, nil
}

// debiasedMinibatchW is the debiased minibatch Wasserstein loss (--debias)
// of Fatras et al. 2021, the minibatch counterpart of the Sinkhorn
// divergence's debiasing (Genevay et al. 2018, eq. 4):
//
//	Λ_k,m(β, α) = h̃_k,m(β, α) − ½ h̃_k,m(β, β) − ½ h̃_k,m(α, α),
//
// each self term between the two halves of its batch, two independent
// samples of the same law (the exact OT of a batch with itself is zero).
// h̃ is biased — positive between two samples of one law, the more so the
// smaller m — and the self terms remove that bias; the generator's term
// −½h̃(β, β) spreads the generated batch, as the divergence's −½OT_ε(β, β)
// does. Computed in full on every rank of a data-parallel job, like the
// Sinkhorn divergence: w is a field, not embedded, so that the type does
// not take minibatchW's pair split (sharedFunc), which would leave the
// self terms out.
type debiasedMinibatchW struct{ w *minibatchW }

func (debiasedMinibatchW) name() string { return "minibatch_wasserstein_debiased" }

func (f debiasedMinibatchW) eval(x, y []float64, n, m, d int, gx, gy []float64) (float64, error) {
	v, err := f.w.eval(x, y, n, m, d, gx, gy)
	if err != nil {
		return 0, err
	}
	self, err := selfTerms{f.w.opts, f.w.seed}.add(x, y, n, m, d, gx, gy, -0.5, -0.5)
	if err != nil {
		return 0, err
	}
	return v + self, nil
}

// repulsiveMinibatchW is the repulsive critic loss of Wang, Sun &
// Halgamuge 2019 (L_D^rep = E k(x, x') − E k(y, y') for data x and
// generated y) with the self terms of the debiased minibatch Wasserstein
// loss (debiasedMinibatchW) in place of the kernel means:
//
//	L_φ(y, x) = ½ h̃_k,m,φ(y₁, y₂) − ½ h̃_k,m,φ(x₁, x₂),
//
// y₁, y₂ the two halves of the generated batch and x₁, x₂ those of the
// data (for an odd batch the last row is left out), as the energy
// distance of OT-GAN (Salimans et al. 2018) pairs independent batches; the
// minibatches of size m (at most the half) and the k pairs are drawn
// inside the halves as the estimator of Fatras et al. 2020, eq. 4, draws
// them. The critic minimising it spreads the data's features apart and
// gathers the generated ones; the generator still minimises the loss
// between the whole batches. Gradients from the optimal plans.
type repulsiveMinibatchW struct{ selfTerms }

func (*repulsiveMinibatchW) name() string { return "minibatch_wasserstein_repulsive" }

func (f *repulsiveMinibatchW) eval(x, y []float64, n, m, d int, gx, gy []float64) (float64, error) {
	clear(gx)
	clear(gy)
	return f.add(x, y, n, m, d, gx, gy, 0.5, -0.5)
}
