package losses

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"otgen/models"
	"otgen/nn"
)

// WGAN is the Wasserstein GAN with weight clipping.
//
// newWGAN builds the Wasserstein GAN with weight clipping (Arjovsky,
// Chintala & Bottou 2017, "Wasserstein GAN", eq. 3 and Algorithm 1): the
// critic f, clipped to [−c, c] after each RMSProp update, maximises
//
//	E_x f(x) − E_z f(G(z))
//
// (it minimises the negation, n_critic times per iteration) and the
// generator minimises −E_z f(G(z)).
var WGAN = Spec{
	Name: "wgan", Rank: 40,
	Title:    "WGAN with weight clipping, RMSProp",
	Paper:    "Arjovsky, Chintala & Bottou 2017, Wasserstein GAN (ICML)",
	Equation: "eq. 3 and Algorithm 1: max_{‖f‖_L ≤ 1} E_x f(x) − E_z f(G(z)), f clipped to [−c, c]",
	Model:    "generator, critic",
	Uses:     []string{"n-critic", "clip"},
	Defaults: func(c *Config, t *Training, d Data) {
		// On CelebA one critic step per generator step at 2e-4, as for
		// wgan-gp (measured on 2 cores, README "CelebA 64×64"): faces
		// within 30 minutes, where Algorithm 1's five critic steps at
		// 5e-5 drew noise after 10.
		celeba := d.Name == "celeba"
		if c.NCritic == 0 {
			c.NCritic = 5
			if celeba {
				c.NCritic = 1
			}
		}
		if c.Clip == 0 {
			c.Clip = 0.01
		}
		t.LR = 5e-5 // Algorithm 1's RMSProp rate
		if celeba {
			t.LR = 2e-4
		}
	},
	ConfigureModel: configureDataCritic,
	Build:          newWGAN,
}

func init() { register(WGAN) }

// newWGAN builds the steps of the loss (see its Spec).
func newWGAN(cfg Config, m *models.Model, batch int) ([]*Step, error) {
	if err := needCritic(m, models.CriticOnData, "wgan"); err != nil {
		return nil, err
	}
	critic, err := build(func() (*Step, error) {
		g := nn.NewGraph(m.Store)
		x, xt := g.Input("x", batch, m.Config.DataDim())
		z, zt := g.Input("z", batch, m.Config.Latent)
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
		wdist := must(G.Sub(meanScore(fr), meanScore(ff)))
		loss := must(G.Neg(wdist))
		st := &Step{Name: "critic", Graph: g, Loss: loss, Data: xt,
			Noise:   []Noise{{T: zt, Dist: PriorZ}},
			Metrics: []Metric{{"loss", loss}, {"wdist", wdist}},
			Repeat:  cfg.NCritic, Optim: Optim{Name: "rmsprop"}, Clip: cfg.Clip}
		return finish(st, "critic."), nil
	})
	if err != nil {
		return nil, err
	}
	gen, err := generatorStep(m, batch, Optim{Name: "rmsprop"})
	if err != nil {
		return nil, err
	}
	return []*Step{critic, gen}, nil
}

// generatorStep builds the generator's step of the WGAN family:
// minimise −E_z f(G(z)) over the generator's parameters.
func generatorStep(m *models.Model, batch int, o Optim) (*Step, error) {
	return build(func() (*Step, error) {
		g := nn.NewGraph(m.Store)
		z, zt := g.Input("z", batch, m.Config.Latent)
		_, fake, err := m.Decoder.Forward(g, z)
		if err != nil {
			return nil, err
		}
		ff, err := m.Critic.Forward(g, fake)
		if err != nil {
			return nil, err
		}
		loss := must(G.Neg(meanScore(ff)))
		st := &Step{Name: "generator", Graph: g, Loss: loss,
			Noise:   []Noise{{T: zt, Dist: PriorZ}},
			Metrics: []Metric{{"loss", loss}}, Optim: o}
		return finish(st, "dec."), nil
	})
}

// needCritic reports an error unless m has a critic reading on.
func needCritic(m *models.Model, on models.CriticInput, loss string) error {
	if m.Critic == nil || m.Config.CriticOn != on {
		return fmt.Errorf("%s needs a model with a critic on the %s (use ConfigureModel)", loss, on)
	}
	return nil
}
