package losses

import (
	"errors"

	"gonum.org/v1/gonum/mat"

	"otgen/models"
	"otgen/nn"
	"otgen/ot"
)

// Sinkhorn is the debiased Sinkhorn divergence between generated and
// data minibatches.
//
// newSinkhorn builds the generator loss of "Learning Generative Models with
// Sinkhorn Divergences" (Genevay, Peyré & Cuturi 2018, Algorithm 1 with the
// debiased divergence of their eq. 4 and of Feydy et al. 2019), used on
// minibatches as in Fatras et al. 2020:
//
//	S_ε(α, β) = OT_ε(α, β) − ½ OT_ε(α, α) − ½ OT_ε(β, β)
//
// between the uniform measures on a batch of generated points G(z_i) and a
// batch of data, with the ground cost ‖x − y‖². The forward pass runs the
// log-domain Sinkhorn of package ot for at most Iters iterations; the
// gradient w.r.t. the generated points comes from the optimal potentials
// (envelope theorem), never by unrolling the iterations.
var Sinkhorn = Spec{
	Name: "sinkhorn", Rank: 60,
	Title:    "debiased Sinkhorn divergence, log-domain, gradient from the potentials",
	Paper:    "Genevay, Peyré & Cuturi 2018, Learning Generative Models with Sinkhorn Divergences (AISTATS); Feydy et al. 2019",
	Equation: "eq. 4: S_ε(α, β) = OT_ε(α, β) − ½ OT_ε(α, α) − ½ OT_ε(β, β)",
	Model:    "generator",
	Uses:     []string{"eps", "iters", "reach"},
	Defaults: func(c *Config, _ *Training, _ Data) {
		if c.Eps == 0 {
			c.Eps = 0.1
		}
		if c.Iters == 0 {
			c.Iters = 100
		}
	},
	ConfigureModel: func(_ Config, mc *models.Config) { mc.Encoder = models.EncoderNone },
	Build:          oneStep(newSinkhorn),
}

func init() { register(Sinkhorn) }

// newSinkhorn builds the steps of the loss (see its Spec).
func newSinkhorn(cfg Config, m *models.Model, batch int) (*Step, error) {
	f := &sinkhornDiv{opts: ot.SinkhornOptions{MaxIter: cfg.Iters, P: 2, Workers: 1, Reach: cfg.Reach}, eps: cfg.Eps}
	return generatorOT(m, batch, f, nil)
}

type sinkhornDiv struct {
	eps  float64
	opts ot.SinkhornOptions
}

func (*sinkhornDiv) name() string { return "sinkhorn_divergence" }

func (f *sinkhornDiv) eval(x, y []float64, n, m, d int, gx, gy []float64) (float64, error) {
	X := mat.NewDense(n, d, x)
	Y := mat.NewDense(m, d, y)
	opts := f.opts
	res, err := ot.SinkhornDivergence(X, Y, nil, nil, f.eps, &opts)
	// A fixed iteration budget is the loss's definition (as in GeomLoss):
	// a result that stopped at MaxIter is used as it is.
	if err != nil && !(errors.Is(err, ot.ErrNotConverged) && res != nil && res.GradX != nil) {
		return 0, err
	}
	copy(gx, res.GradX.RawMatrix().Data)
	copy(gy, res.GradY.RawMatrix().Data)
	return res.Value, nil
}

// generatorOT builds the one-step objective "minimise f(G(z), x)" of the
// OT losses over the generator's parameters. seed, when not nil, is a
// noise tensor the loop refills before each run (the minibatch draws).
func generatorOT(m *models.Model, batch int, f pointFunc, seed *Noise) (*Step, error) {
	return build(func() (*Step, error) {
		g := nn.NewGraph(m.Store)
		x, xt := g.Input("x", batch, m.Config.DataDim())
		z, zt := g.Input("z", batch, m.Config.Latent)
		_, fake, err := m.Decoder.Forward(g, z)
		if err != nil {
			return nil, err
		}
		loss, err := pointLoss(f, fake, x)
		if err != nil {
			return nil, err
		}
		noise := []Noise{{T: zt, Dist: PriorZ}}
		if seed != nil {
			noise = append(noise, *seed)
		}
		st := &Step{Name: "generator", Graph: g, Loss: loss, Data: xt, Noise: noise,
			Metrics: []Metric{{"loss", loss}}}
		return finish(st, "dec."), nil
	})
}
