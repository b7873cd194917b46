package losses

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"otgen/models"
	"otgen/nn"
)

// AAE is POT, the penalised optimal-transport objective with a GAN
// penalty in the latent space (WAE-GAN).
//
// newAAE builds the penalised optimal-transport objective with a GAN
// penalty in the latent space: POT of Bousquet, Gelly, Tolstikhin,
// Simon-Gabriel & Schölkopf 2017 ("From optimal transport to generative
// modeling: the VEGAN cookbook", Theorem 1 and eq. 5 with D_Z a GAN
// divergence), the adversarial auto-encoder that Tolstikhin et al. 2018 call
// WAE-GAN (their Algorithm 1):
//
//	min_{Q,G} 1/n Σ_i c(x_i, G(Q(x_i))) + λ · D_GAN(Q_Z, P_Z)
//
// The latent discriminator D (logits l) minimises, with z_i ~ P_Z and
// z̃_i = Q(x_i),
//
//	λ/n Σ_i [softplus(−l(z_i)) + softplus(l(z̃_i))]   (= −λ/n Σ log D(z_i) + log(1 − D(z̃_i)))
//
// and the encoder and decoder minimise 1/n Σ_i c(x_i, G(z̃_i)) + λ/n Σ_i
// softplus(−l(z̃_i)) (the non-saturating −λ log D(z̃_i) of Algorithm 1).
// The cost c is squared Euclidean, Euclidean or L1 (Config.Cost).
var AAE = Spec{
	Name: "aae", Aliases: []string{"pot", "wae-gan"}, Rank: 30,
	Title:    "POT / WAE-GAN: cost c(X, G(Z)) + λ × GAN divergence between Q_Z and P_Z by a latent discriminator",
	Paper:    "Bousquet, Gelly, Tolstikhin, Simon-Gabriel & Schölkopf 2017, From optimal transport to generative modeling: the VEGAN cookbook; Tolstikhin et al. 2018, Algorithm 1",
	Equation: "Theorem 1 and eq. 5: min_{Q,G} 1/n Σ c(x_i, G(Q(x_i))) + λ·D_GAN(Q_Z, P_Z)",
	Model:    "deterministic encoder, decoder, latent discriminator",
	Uses:     []string{"lambda", "cost", "n-critic"},
	Defaults: func(c *Config, _ *Training, d Data) {
		if c.Lambda == 0 {
			c.Lambda = 1
			if d.Name == "celeba" {
				c.Lambda = celebALambdaScale * 1
			}
		}
		if c.Cost == "" {
			c.Cost = "l2sq"
		}
		if c.NCritic == 0 {
			c.NCritic = 1
		}
	},
	Validate: func(c Config) error {
		switch c.Cost {
		case "l2sq", "l2", "l1":
			return nil
		}
		return fmt.Errorf("losses: cost %q, want l2sq, l2 or l1", c.Cost)
	},
	ConfigureModel: func(_ Config, mc *models.Config) {
		mc.Encoder = models.EncoderDeterministic
		mc.CriticOn = models.CriticOnLatent
		if len(mc.Critic) == 0 {
			mc.Critic = []int{64, 64}
		}
	},
	Build: newAAE,
}

func init() { register(AAE) }

// newAAE builds the steps of the loss (see its Spec).
func newAAE(cfg Config, m *models.Model, batch int) ([]*Step, error) {
	if err := needCritic(m, models.CriticOnLatent, "aae"); err != nil {
		return nil, err
	}
	if m.Encoder == nil {
		return nil, errEncoder("aae", "deterministic")
	}
	dim, dz := m.Config.DataDim(), m.Config.Latent
	disc, err := build(func() (*Step, error) {
		g := nn.NewGraph(m.Store)
		x, xt := g.Input("x", batch, dim)
		zp, zpt := g.Input("z_prior", batch, dz)
		zq, _, err := m.Encoder.Forward(g, x)
		if err != nil {
			return nil, err
		}
		// One pass of the discriminator over both batches (prior codes in
		// the first rows, encoded codes in the last): its MLP treats rows
		// independently, and one product on 2·batch rows keeps two cores
		// busier than two on batch rows. With the signs s = −1 on the prior
		// rows and +1 on the encoded ones, the two batch means are twice
		// the mean of softplus(s ⊙ l) over all rows.
		l, err := m.Critic.Forward(g, must(G.Concat(0, zp, zq)))
		if err != nil {
			return nil, err
		}
		signs := make([]float64, 2*batch)
		for i := range signs {
			signs[i] = 1
			if i < batch {
				signs[i] = -1
			}
		}
		s := g.Constant("aae.signs", signs, 2*batch, 1)
		bce := must(G.Mul(must(G.Mean(softplus(must(G.HadamardProd(l, s))))), g.Scalar(2)))
		loss := must(G.Mul(bce, g.Scalar(cfg.Lambda)))
		st := &Step{Name: "disc", Graph: g, Loss: loss, Data: xt,
			Noise:   []Noise{{T: zpt, Dist: PriorZ}},
			Metrics: []Metric{{"loss", loss}, {"bce", bce}},
			Repeat:  cfg.NCritic, Optim: Optim{Name: "adam", Beta1: 0.5, Beta2: 0.999}}
		return finish(st, "critic."), nil
	})
	if err != nil {
		return nil, err
	}
	ae, err := build(func() (*Step, error) {
		g := nn.NewGraph(m.Store)
		x, xt := g.Input("x", batch, dim)
		zq, _, err := m.Encoder.Forward(g, x)
		if err != nil {
			return nil, err
		}
		_, out, err := m.Decoder.Forward(g, zq)
		if err != nil {
			return nil, err
		}
		lq, err := m.Critic.Forward(g, zq)
		if err != nil {
			return nil, err
		}
		rec := must(G.Mean(cost(cfg.Cost, x, out)))
		fool := must(G.Mean(softplus(must(G.Neg(lq)))))
		loss := must(G.Add(rec, must(G.Mul(fool, g.Scalar(cfg.Lambda)))))
		st := &Step{Name: "autoencoder", Graph: g, Loss: loss, Data: xt,
			Metrics: []Metric{{"loss", loss}, {"rec", rec}, {"gan", fool}},
			Optim:   Optim{Name: "adam", Beta1: 0.5, Beta2: 0.999}}
		return finish(st, "enc.", "dec."), nil
	})
	if err != nil {
		return nil, err
	}
	return []*Step{disc, ae}, nil
}

// cost returns c(x_i, y_i) per row (batch): "l2sq" ‖x−y‖², "l2" ‖x−y‖ or
// "l1" Σ|x−y|.
func cost(kind string, x, y *G.Node) *G.Node {
	diff := must(G.Sub(x, y))
	switch kind {
	case "l1":
		return must(G.Sum(must(G.Abs(diff)), 1))
	case "l2":
		sq := must(G.Sum(must(G.Square(diff)), 1))
		return must(G.Sqrt(must(G.Add(sq, scalarOfType(x, 1e-12)))))
	}
	return must(G.Sum(must(G.Square(diff)), 1))
}
