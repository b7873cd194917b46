package losses

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"

	"otgen/models"
	"otgen/nn"
)

// VAE is the negative evidence lower bound of the variational auto-encoder.
//
// newVAE builds the negative evidence lower bound of the variational
// auto-encoder (Kingma & Welling 2014, "Auto-Encoding Variational Bayes",
// eq. 10 with the Gaussian KL of Appendix B):
//
//	−L(x) = −log p(x | z) + KL(q(z|x) ‖ N(0, I)),   z = μ(x) + σ(x) ⊙ ε,  ε ~ N(0, I)
//	KL = −½ Σ_j (1 + log σ_j² − μ_j² − σ_j²)
//
// averaged over the batch, in nats per example. For a Bernoulli decoder
// −log p(x|z) = Σ_d softplus(l_d) − x_d l_d on the logits l (computed
// stably as max(l,0) + log1p(exp(−|l|)) − x l); for a Gaussian decoder with
// standard deviation s it is Σ_d (x_d − g_d)²/(2s²) + D/2·log(2πs²).
var VAE = Spec{
	Name: "vae", Rank: 10,
	Title:    "negative ELBO of the variational auto-encoder; Bernoulli decoder for pixels in [0,1], Gaussian otherwise",
	Paper:    "Kingma & Welling 2014, Auto-Encoding Variational Bayes (ICLR)",
	Equation: "eq. 10: −L(x) = −log p(x|z) + KL(q(z|x) ‖ N(0, I)), z = μ(x) + σ(x)⊙ε",
	Model:    "Gaussian encoder, decoder",
	Uses:     []string{"decoder-std", "likelihood"},
	Defaults: func(c *Config, _ *Training, d Data) {
		if c.Likelihood == "" {
			c.Likelihood = "gaussian"
			if d.Output == "sigmoid" {
				c.Likelihood = "bernoulli"
			}
		}
		if c.Likelihood == "gaussian" && c.DecoderStd == 0 {
			c.DecoderStd = 0.1
			if d.Name == "celeba" {
				// The unit-variance Gaussian decoder, −log p(x|z) =
				// ‖x − μ‖²/2 + const. A small σ lets the 12,288-pixel term
				// outweigh the KL term and the codes leave the prior: the
				// pixel MMD between prior samples and held-out faces went
				// 0.82 -> 1.33, 1.04, 0.81 and 0.62 in 150 steps with
				// σ = 0.1, 0.3, 0.71 (pythae's summed MSE) and 1
				// (TestCelebAPriorSamplesApproachFaces's networks).
				c.DecoderStd = 1
			}
		}
	},
	Validate: func(c Config) error {
		switch c.Likelihood {
		case "bernoulli":
		case "gaussian":
			if !(c.DecoderStd > 0) || math.IsInf(c.DecoderStd, 0) {
				return fmt.Errorf("losses: vae decoder-std %v, want a finite number > 0", c.DecoderStd)
			}
		default:
			return fmt.Errorf("losses: vae likelihood %q, want bernoulli or gaussian", c.Likelihood)
		}
		return nil
	},
	ConfigureModel: func(c Config, mc *models.Config) {
		mc.Encoder = models.EncoderGaussian
		if c.Likelihood == "bernoulli" {
			mc.Output = "sigmoid"
		}
	},
	Build: oneStep(newVAE),
}

func init() { register(VAE) }

// newVAE builds the steps of the loss (see its Spec).
func newVAE(cfg Config, m *models.Model, batch int) (*Step, error) {
	return build(func() (*Step, error) {
		if m.Encoder == nil || m.Encoder.LogVar == nil {
			return nil, errEncoder("vae", "gaussian")
		}
		g := nn.NewGraph(m.Store)
		dim, dz := m.Config.DataDim(), m.Config.Latent
		x, xt := g.Input("x", batch, dim)
		eps, epst := g.Input("eps", batch, dz)
		mean, logVar, err := m.Encoder.Forward(g, x)
		if err != nil {
			return nil, err
		}
		std := must(G.Exp(must(G.Mul(logVar, g.Scalar(0.5)))))
		z := must(G.Add(mean, must(G.HadamardProd(std, eps))))
		logits, out, err := m.Decoder.Forward(g, z)
		if err != nil {
			return nil, err
		}
		var nll *G.Node // per example, batch
		if cfg.Likelihood == "bernoulli" {
			nll = must(G.Sum(must(G.Sub(softplus(logits), must(G.HadamardProd(x, logits)))), 1))
		} else {
			s2 := cfg.DecoderStd * cfg.DecoderStd
			sq := must(G.Sum(must(G.Square(must(G.Sub(x, out)))), 1))
			nll = must(G.Add(must(G.Mul(sq, g.Scalar(1/(2*s2)))),
				g.Scalar(float64(dim)/2*math.Log(2*math.Pi*s2))))
		}
		klTerms := must(G.Sub(must(G.Add(must(G.Square(mean)), must(G.Exp(logVar)))),
			must(G.Add(logVar, g.Scalar(1)))))
		kl := must(G.Mul(must(G.Sum(klTerms, 1)), g.Scalar(0.5)))
		rec := must(G.Mean(nll))
		klMean := must(G.Mean(kl))
		loss := must(G.Add(rec, klMean))
		st := &Step{
			Name: "main", Graph: g, Loss: loss, Data: xt,
			Noise:   []Noise{{T: epst, Dist: Normal}},
			Metrics: []Metric{{"nelbo", loss}, {"rec", rec}, {"kl", klMean}},
		}
		return finish(st), nil
	})
}
