package losses

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"otgen/models"
	"otgen/nn"
)

// newWGAN builds the Wasserstein GAN with weight clipping (Arjovsky,
// Chintala & Bottou 2017, "Wasserstein GAN", eq. 3 and Algorithm 1): the
// critic f, clipped to [−c, c] after each RMSProp update, maximises
//
//	E_x f(x) − E_z f(G(z))
//
// (it minimises the negation, n_critic times per iteration) and the
// generator minimises −E_z f(G(z)).
func newWGAN(cfg Config, m *models.Model, batch int) ([]*Step, error) {
	if err := needCritic(m, "data", "wgan"); err != nil {
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

func needCritic(m *models.Model, on, loss string) error {
	if m.Critic == nil || m.Config.CriticOn != on {
		return fmt.Errorf("%s needs a model with a critic on the %s (use ConfigureModel)", loss, on)
	}
	return nil
}
