package losses

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"

	"otgen/models"
	"otgen/nn"
)

// The learned-cost (adversarial) OT losses, sinkhorn-gan and
// minibatch-w-gan, share this file: an OT loss D between the critic's
// feature vectors of generated and data batches,
//
//	D_φ(G(z), x) = D(f_φ(G(z)), f_φ(x)),   ground cost c(f_φ(x), f_φ(y)),
//
// which the generator minimises and the critic f_φ maximises (Genevay,
// Peyré & Cuturi 2018, Algorithm 1; Salimans et al. 2018; Fatras et al.
// 2021). The OT op gives the gradient w.r.t. both feature batches from the
// optimal potentials or plans (envelope theorem); the critic's gradient
// then runs through both of its passes. Maximising the cost alone would
// inflate the features without bound, so the critic is held by one of
// two guards (--critic-reg):
//
//   - "gp": a gradient penalty λ E (D‖J_φ(x̂)ᵀu‖² − 1)² on interpolates x̂
//     of real and generated examples, u a random unit vector per example
//     and D the feature dimension (so that D‖Jᵀu‖² estimates ‖J‖²_F, which
//     bounds the gain in every direction): the WGAN-GP penalty (Gulrajani
//     et al. 2017, eq. 3) on the feature map's Jacobian, on the squared
//     norm so that it grows
//     faster (quartically) with the feature scale than the quadratic cost
//     it guards (with WGAN-GP's (‖·‖ − 1)² both grow quadratically, and the
//     critic inflated the cost without bound on the 2-D toys); Adam(0.5,
//     0.9);
//   - "clip": the critic's weights clipped to [−c, c] after each RMSProp
//     update (Arjovsky et al. 2017; Fatras et al. 2021: c = 0.01, rate
//     5·10⁻⁵, 5 critic steps).
//
// The ground cost on features is "sqeuclidean", ‖f(x) − f(y)‖²,
// "euclidean", ‖f(x) − f(y)‖, or "cosine", 1 − cos(f(x), f(y)) as in
// OT-GAN (the squared distance between the features normalised to length
// 1/√2).

// The critic guards (--critic-reg) and ground costs on features (--cost)
// of the learned-cost losses.
const (
	guardGP      = "gp"
	guardClip    = "clip"
	costSqEuclid = "sqeuclidean"
	costCosine   = "cosine"
	costEuclid   = "euclidean"
)

// The critic objectives of the learned-cost losses (--critic-loss): minus
// the OT loss the generator minimises, or the repulsive loss of Wang, Sun &
// Halgamuge 2019 built from the loss's self-transport terms (sinkhorn-gan:
// repulsiveSinkhorn; minibatch-w-gan: repulsiveMinibatchW).
const (
	criticDivergence = "divergence"
	criticRepulsive  = "repulsive"
)

// repulsiveFeatures is the feature dimension of the repulsive critic, the
// 16 of Wang et al. 2019's networks: on one feature it trained far worse on
// MNIST (sinkhorn-gan: LeNet FID 65.8 against 20.5 on 16, DCGANs, 10
// minutes, seed 3), since a line leaves little room to spread the data's
// features apart.
const repulsiveFeatures = 16

// groundPower returns the exponent p of the ground cost ‖x − y‖^p that
// the solvers of package ot take for cost (2 for sqeuclidean, and for the
// empty cost of a run saved before the setting existed).
func groundPower(cost string) float64 {
	if cost == costEuclid {
		return 1
	}
	return 2
}

// learnedUses lists the settings every learned-cost loss reads, before its
// OT settings.
var learnedUses = []string{"feature-dim", "n-critic", "lambda", "clip", "cost", "critic-reg"}

// learnedDefaults fills the settings every learned-cost loss shares. The
// default guard is the gradient penalty, which trained best on MNIST at a
// short budget, with Adam at 10⁻³ on the toys (five critic steps, 16
// features). Measured (MNIST, the settings before the image defaults
// below: five critic steps on 64 features; MLP networks, 90 s of
// training each on 2 shared cores, LeNet FID of 2,000 samples): sinkhorn-gan
// 83 with the penalty at 10⁻³, 460 at 10⁻⁴; 305 clipped at RMSProp 5·10⁻⁴
// and 398 with Fatras et al.'s clipping settings (0.01, 5·10⁻⁵);
// minibatch-w-gan 119 with the penalty at 10⁻³, 227 and 371 clipped;
// wgan-gp 136 at its 10⁻⁴ and 66 at 10⁻³ (one seed each: the learned
// costs do not beat WGAN-GP at this budget).
//
// On images both take one critic step per generator step at Adam 2·10⁻⁴
// (sinkhorn-gan 4·10⁻⁴ on MNIST, 8·10⁻⁴ with its repulsive critic on 16
// features there, see mnistRate and repulsiveRate) and a one-dimensional
// feature. Measured with the DCGANs on 2 cores (one
// run each, seed 1): on MNIST at 10 minutes each, LeNet FID 49.7
// (sinkhorn-gan) and 68.4 (minibatch-w-gan) against 140.4 and 134.6 with
// five critic steps at 10⁻³ on 64 features (README "MNIST quality
// table"); on CelebA (README "CelebA 64×64"), sinkhorn-gan on
// 64 features drew noisy face-shaped blobs after 24 minutes (2,160
// generator steps; pixel MMD to held-out faces 0.137 at step 1,000, 0.139
// at 2,000), on one feature faces after 15 (1,512 steps, pixel MMD 0.109 at
// step 1,000), and so did minibatch-w-gan (1,473 steps, 0.148 at 1,000).
// With one feature the cost is (f(x) − f(y))² on a learned projection and
// the OT between the batches a sort: the max-sliced Wasserstein distance
// of Deshpande et al. 2019. (With the MLP networks of MNIST at 30 s the
// old settings lowered the pixel MMD more: 51x against 23x, see
// TestLearnedCostImprovesOnMNIST.)
func learnedDefaults(c *Config, t *Training, d Data) {
	images := !d.Points()
	if c.Features == 0 {
		c.Features = 16
		if images {
			c.Features = 1
		}
	}
	if c.NCritic == 0 {
		c.NCritic = 5
		if images {
			c.NCritic = 1
		}
	}
	if c.Lambda == 0 {
		// On the 8 Gaussians λ = 1 let the critic inflate the features
		// (the cost grew to 10⁶ in 300 steps); 10 holds them.
		c.Lambda = 10
	}
	if c.Clip == 0 {
		c.Clip = 0.01
	}
	if c.Cost == "" {
		c.Cost = costSqEuclid
	}
	if c.CriticReg == "" {
		c.CriticReg = guardGP
	}
	t.LR = 1e-3
	if images {
		t.LR = 2e-4
	}
}

// validateLearned checks the names of the shared settings.
func validateLearned(c Config) error {
	switch c.CriticLoss {
	case "", criticDivergence, criticRepulsive:
	default:
		return fmt.Errorf("losses: %s: critic-loss %q, want %s or %s", c.Name, c.CriticLoss, criticDivergence, criticRepulsive)
	}
	switch c.Cost {
	case costSqEuclid, costEuclid, costCosine:
	default:
		return fmt.Errorf("losses: %s: cost %q, want %s, %s or %s (the ground cost on the critic's features)", c.Name, c.Cost, costSqEuclid, costEuclid, costCosine)
	}
	switch c.CriticReg {
	case guardGP, guardClip:
	default:
		return fmt.Errorf("losses: %s: critic-reg %q, want %s or %s", c.Name, c.CriticReg, guardGP, guardClip)
	}
	return nil
}

// configureFeatureCritic gives the model a generator and a critic on the
// data with c.Features outputs.
func configureFeatureCritic(c Config, mc *models.Config) {
	configureDataCritic(c, mc)
	mc.Features = c.Features
}

// newLearned builds the critic and generator steps of a learned-cost loss
// whose OT loss between feature batches is given by newF (a fresh
// pointFunc per step, with the noise tensor it reads, if any). The critic
// maximises that loss, or, when critic is not nil, minimises the loss
// critic returns (of the generated and the data features, with its noise
// tensor, if any; the OT loss is then only reported).
func newLearned(cfg Config, m *models.Model, batch int, newF func() (pointFunc, *Noise), critic func() (pointFunc, *Noise)) ([]*Step, error) {
	if err := needCritic(m, models.CriticOnData, cfg.Name); err != nil {
		return nil, err
	}
	if m.Config.Features != cfg.Features {
		return nil, fmt.Errorf("the critic has %d features, the loss wants %d (use ConfigureModel)", m.Config.Features, cfg.Features)
	}
	o := Optim{Name: "adam", Beta1: 0.5, Beta2: 0.9}
	clip := 0.0
	if cfg.CriticReg == guardClip {
		o, clip = Optim{Name: "rmsprop"}, cfg.Clip
	}
	// onCost gives f the ground cost cfg.Cost on the features.
	onCost := func(f pointFunc) pointFunc {
		if cfg.Cost == costCosine {
			return cosineCost{f}
		}
		return f
	}
	// features returns the OT loss between the critic's features of the
	// generated batch and of the data, the generated batch, and the two
	// feature batches.
	features := func(g *nn.Graph, x, z *G.Node) (loss, fake, ff, fr *G.Node, noise []Noise, err error) {
		if _, fake, err = m.Decoder.Forward(g, z); err != nil {
			return nil, nil, nil, nil, nil, err
		}
		if ff, err = m.Critic.Forward(g, fake); err != nil {
			return nil, nil, nil, nil, nil, err
		}
		if fr, err = m.Critic.Forward(g, x); err != nil {
			return nil, nil, nil, nil, nil, err
		}
		f, seed := newF()
		if seed != nil {
			noise = append(noise, *seed)
		}
		loss, err = pointLoss(onCost(f), ff, fr)
		return loss, fake, ff, fr, noise, err
	}
	criticStep, err := build(func() (*Step, error) {
		g := nn.NewGraph(m.Store)
		dim := m.Config.DataDim()
		x, xt := g.Input("x", batch, dim)
		z, zt := g.Input("z", batch, m.Config.Latent)
		div, fake, ff, fr, noise, err := features(g, x, z)
		if err != nil {
			return nil, err
		}
		noise = append([]Noise{{T: zt, Dist: PriorZ}}, noise...)
		loss := must(G.Neg(div))
		if critic != nil {
			f, seed := critic()
			if seed != nil {
				noise = append(noise, *seed)
			}
			if loss, err = pointLoss(onCost(f), ff, fr); err != nil {
				return nil, err
			}
		}
		metrics := []Metric{{"loss", loss}, {"div", div}}
		if cfg.CriticReg == guardGP {
			eps, epst := g.Input("eps", batch, dim)
			u, ut := g.Input("u", batch, cfg.Features)
			xhat := lerpRows(eps, x, fake)
			_, grad, err := m.Critic.ForwardWithInputGradSeed(g, xhat, u)
			if err != nil {
				return nil, err
			}
			// D‖Jᵀu‖² estimates ‖J‖²_F, which bounds the gain of every
			// direction: with ‖Jᵀu‖² alone the critic put a gain of √D in
			// one direction, which random u see as 1 (the cost on MNIST
			// grew to 10⁴ in 20 steps).
			sq := must(G.Mul(must(nn.RowSquaredNorms(grad)), g.Scalar(float64(cfg.Features))))
			gp := must(G.Mean(must(G.Square(must(G.Sub(sq, g.Scalar(1)))))))
			loss = must(G.Add(loss, must(G.Mul(gp, g.Scalar(cfg.Lambda)))))
			metrics = []Metric{{"loss", loss}, {"div", div}, {"gp", gp}}
			noise = append(noise, Noise{T: epst, Dist: RowUnit}, Noise{T: ut, Dist: RowSphere})
		}
		st := &Step{Name: "critic", Graph: g, Loss: loss, Data: xt, Noise: noise,
			Metrics: metrics, Repeat: cfg.NCritic, Optim: o, Clip: clip}
		return finish(st, "critic."), nil
	})
	if err != nil {
		return nil, err
	}
	gen, err := build(func() (*Step, error) {
		g := nn.NewGraph(m.Store)
		x, xt := g.Input("x", batch, m.Config.DataDim())
		z, zt := g.Input("z", batch, m.Config.Latent)
		div, _, _, _, noise, err := features(g, x, z)
		if err != nil {
			return nil, err
		}
		st := &Step{Name: "generator", Graph: g, Loss: div, Data: xt,
			Noise:   append([]Noise{{T: zt, Dist: PriorZ}}, noise...),
			Metrics: []Metric{{"loss", div}}, Optim: o}
		return finish(st, "dec."), nil
	})
	if err != nil {
		return nil, err
	}
	return []*Step{criticStep, gen}, nil
}

// cosineCost is f with the cosine ground cost 1 − cos(x, y): f (whose
// ground cost is ‖x − y‖²) is applied to the rows scaled to length 1/√2,
// and the gradients are pulled back through the scaling,
// ∂x̂/∂x = (I − x̂x̂ᵀ/‖x̂‖²)/(√2‖x‖).
type cosineCost struct{ f pointFunc }

// cosineFloor keeps rows of (nearly) zero length from dividing by zero.
const cosineFloor = 1e-12

func (c cosineCost) name() string { return c.f.name() + "_cosine" }

func (c cosineCost) eval(x, y []float64, n, m, d int, gx, gy []float64) (float64, error) {
	xs, nx := normalizeRows(x, n, d)
	ys, ny := normalizeRows(y, m, d)
	v, err := c.f.eval(xs, ys, n, m, d, gx, gy)
	if err != nil {
		return 0, err
	}
	pullBack(gx, xs, nx, n, d)
	pullBack(gy, ys, ny, m, d)
	return v, nil
}

// normalizeRows returns the rows of x scaled to length 1/√2, and their
// original lengths.
func normalizeRows(x []float64, n, d int) (out, norms []float64) {
	out = make([]float64, n*d)
	norms = make([]float64, n)
	for i := 0; i < n; i++ {
		r := x[i*d : (i+1)*d]
		s := 0.0
		for _, v := range r {
			s += v * v
		}
		norms[i] = math.Sqrt(s + cosineFloor)
		k := 1 / (math.Sqrt2 * norms[i])
		for j, v := range r {
			out[i*d+j] = k * v
		}
	}
	return out, norms
}

// pullBack turns gradients w.r.t. the scaled rows xs into gradients w.r.t.
// the original rows of lengths norms, in place.
func pullBack(g, xs, norms []float64, n, d int) {
	for i := 0; i < n; i++ {
		gi, xi := g[i*d:(i+1)*d], xs[i*d:(i+1)*d]
		dot := 0.0
		for j := range gi {
			dot += gi[j] * xi[j]
		}
		k := 1 / (math.Sqrt2 * norms[i])
		for j := range gi {
			gi[j] = k * (gi[j] - 2*dot*xi[j]) // ‖x̂‖² = ½
		}
	}
}
