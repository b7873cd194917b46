package losses

import (
	G "gorgonia.org/gorgonia"

	"otgen/models"
	"otgen/nn"
)

// WGANGP is the Wasserstein GAN with gradient penalty.
//
// newWGANGP builds the Wasserstein GAN with gradient penalty (Gulrajani,
// Ahmed, Arjovsky, Dumoulin & Courville 2017, "Improved Training of
// Wasserstein GANs", eq. 3 and Algorithm 1): the critic minimises
//
//	E_z f(G(z)) − E_x f(x) + λ E_x̂ (‖∇_x̂ f(x̂)‖₂ − 1)²,   x̂ = ε x + (1 − ε) G(z), ε ~ U[0, 1],
//
// n_critic times per iteration with Adam (β = 0.5, 0.9), and the generator
// minimises −E_z f(G(z)). The input gradient ∇_x̂ f is built by the critic's
// layers as ordinary graph nodes, so one Grad call differentiates the
// penalty w.r.t. the critic's parameters (second order).
var WGANGP = Spec{
	Name: "wgan-gp", Rank: 50,
	Title:    "WGAN-GP, Adam(0.5, 0.9), gradient penalty differentiated at second order",
	Paper:    "Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville 2017, Improved Training of Wasserstein GANs (NeurIPS)",
	Equation: "eq. 3: E_z f(G(z)) − E_x f(x) + λ E_x̂ (‖∇_x̂ f(x̂)‖₂ − 1)²",
	Model:    "generator, critic",
	Uses:     []string{"lambda", "n-critic"},
	Defaults: func(c *Config, t *Training, d Data) {
		// On CelebA one critic step per generator step at twice
		// Algorithm 1's rate (measured on 2 cores, README "CelebA quality
		// table"): it draws faces within 30 minutes, where five critic
		// steps at 1e-4 make 200 generator steps in 10 minutes and draw
		// blobs.
		celeba := d.Name == "celeba"
		t.LR = 1e-4 // Algorithm 1's Adam rate
		if celeba {
			t.LR = 2e-4
		}
		if c.NCritic == 0 {
			c.NCritic = 5
			if celeba {
				c.NCritic = 1
			}
		}
		if c.Lambda == 0 {
			c.Lambda = 10
			if d.Points() {
				c.Lambda = 0.1 // gan_toy.py's LAMBDA for the 2-D toys
			}
		}
	},
	ConfigureModel: configureDataCritic,
	Build:          newWGANGP,
}

func init() { register(WGANGP) }

// newWGANGP builds the steps of the loss (see its Spec).
func newWGANGP(cfg Config, m *models.Model, batch int) ([]*Step, error) {
	if err := needCritic(m, models.CriticOnData, "wgan-gp"); err != nil {
		return nil, err
	}
	adam := Optim{Name: "adam", Beta1: 0.5, Beta2: 0.9}
	critic, err := build(func() (*Step, error) {
		g := nn.NewGraph(m.Store)
		dim := m.Config.DataDim()
		x, xt := g.Input("x", batch, dim)
		z, zt := g.Input("z", batch, m.Config.Latent)
		eps, epst := g.Input("eps", batch, dim)
		_, fake, err := m.Decoder.Forward(g, z)
		if err != nil {
			return nil, err
		}
		fr, err := m.Critic.Forward(g, x)
		if err != nil {
			return nil, err
		}
		ff, err := m.Critic.Forward(g, fake)
		if err != nil {
			return nil, err
		}
		xhat := lerpRows(eps, x, fake)
		_, grad, err := m.Critic.ForwardWithInputGrad(g, xhat)
		if err != nil {
			return nil, err
		}
		norm := must(G.Sqrt(must(G.Add(must(nn.RowSquaredNorms(grad)), g.Scalar(1e-12)))))
		gp := must(G.Mean(must(G.Square(must(G.Sub(norm, g.Scalar(1)))))))
		wdist := must(G.Sub(meanScore(fr), meanScore(ff)))
		loss := must(G.Add(must(G.Neg(wdist)), must(G.Mul(gp, g.Scalar(cfg.Lambda)))))
		st := &Step{Name: "critic", Graph: g, Loss: loss, Data: xt,
			Noise:   []Noise{{T: zt, Dist: PriorZ}, {T: epst, Dist: RowUnit}},
			Metrics: []Metric{{"loss", loss}, {"wdist", wdist}, {"gp", gp}},
			Repeat:  cfg.NCritic, Optim: adam}
		return finish(st, "critic."), nil
	})
	if err != nil {
		return nil, err
	}
	gen, err := generatorStep(m, batch, adam)
	if err != nil {
		return nil, err
	}
	return []*Step{critic, gen}, nil
}
