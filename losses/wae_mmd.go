package losses

import (
	"errors"
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"

	"otgen/models"
	"otgen/nn"
)

// WAEMMD is the Wasserstein auto-encoder with the MMD penalty.
//
// newWAEMMD builds the Wasserstein auto-encoder with the MMD penalty
// (Tolstikhin, Bousquet, Gelly & Schölkopf 2018, "Wasserstein
// Auto-Encoders", eq. 4 with the MMD divergence of Algorithm 2):
//
//	1/n Σ_i c(x_i, G(Q(x_i))) + λ · MMD_k({z̃_i = Q(x_i)}, {z_i ~ P_Z})
//
// with a deterministic encoder Q, the squared Euclidean cost
// c(x, y) = ‖x − y‖², the unbiased MMD estimate of Algorithm 2 and the
// inverse multiquadratic kernel k(x, y) = C/(C + ‖x − y‖²) summed over
// C = 2·d_z·Var(P_Z)·s for the configured scales s (the paper uses
// C = 2·d_z·σ² and several scales in its code).
var WAEMMD = Spec{
	Name: "wae-mmd", Rank: 20,
	Title:    "Wasserstein auto-encoder with the MMD penalty, inverse multiquadratic kernel",
	Paper:    "Tolstikhin, Bousquet, Gelly & Schölkopf 2018, Wasserstein Auto-Encoders (ICLR)",
	Equation: "eq. 4 with Algorithm 2: 1/n Σ c(x_i, G(Q(x_i))) + λ·MMD_k(Q_Z, P_Z)",
	Model:    "deterministic encoder, decoder",
	Uses:     []string{"lambda", "scales"},
	Defaults: func(c *Config, _ *Training, d Data) {
		if c.Lambda == 0 {
			c.Lambda = 10
			if d.Name == "celeba" {
				c.Lambda = celebALambdaScale * 10
			}
		}
		if len(c.Scales) == 0 {
			c.Scales = []float64{0.1, 0.2, 0.5, 1, 2, 5, 10}
		}
	},
	Validate: func(c Config) error {
		if len(c.Scales) == 0 {
			return errors.New("losses: wae-mmd needs at least one kernel scale")
		}
		for _, s := range c.Scales {
			if !(s > 0) || math.IsInf(s, 0) {
				return fmt.Errorf("losses: kernel scale %v, want a finite number > 0", s)
			}
		}
		return nil
	},
	ConfigureModel: func(_ Config, mc *models.Config) { mc.Encoder = models.EncoderDeterministic },
	Build:          oneStep(newWAEMMD),
}

func init() { register(WAEMMD) }

// celebALambdaScale converts the WAE paper's CelebA λ to otgen's cost. The
// paper's code (github.com/tolstikhin/wae, configs.py: config_celebA with
// lambda 10, wae.py: reconstruction_loss) multiplies the squared Euclidean
// cost by 0.05; otgen keeps c(x, y) = ‖x − y‖² and scales λ by 1/0.05
// instead (Adam's step does not change when the whole loss is scaled). With
// λ = 10 on the unscaled cost, 12,288 pixels outweigh the latent penalty
// and the codes never reach the prior (measured at 300 steps: latent MMD
// 1.0 with λ = 10, 0.078 with λ = 200).
const celebALambdaScale = 1 / 0.05

// newWAEMMD builds the steps of the loss (see its Spec).
func newWAEMMD(cfg Config, m *models.Model, batch int) (*Step, error) {
	return build(func() (*Step, error) {
		if m.Encoder == nil {
			return nil, errEncoder("wae-mmd", "deterministic")
		}
		g := nn.NewGraph(m.Store)
		dim, dz := m.Config.DataDim(), m.Config.Latent
		x, xt := g.Input("x", batch, dim)
		zp, zpt := g.Input("z_prior", batch, dz)
		z, _, err := m.Encoder.Forward(g, x)
		if err != nil {
			return nil, err
		}
		_, out, err := m.Decoder.Forward(g, z)
		if err != nil {
			return nil, err
		}
		rec := must(G.Mean(must(G.Sum(must(G.Square(must(G.Sub(x, out)))), 1))))
		variance := 1.0
		if m.Config.Prior == models.PriorUniform {
			variance = 1.0 / 3
		}
		cs := make([]float64, len(cfg.Scales))
		for i, s := range cfg.Scales {
			cs[i] = 2 * float64(dz) * variance * s
		}
		mmd, err := pointLoss(imqMMD{cs: cs}, z, zp)
		if err != nil {
			return nil, err
		}
		loss := must(G.Add(rec, must(G.Mul(mmd, g.Scalar(cfg.Lambda)))))
		st := &Step{
			Name: "main", Graph: g, Loss: loss, Data: xt,
			Noise:   []Noise{{T: zpt, Dist: PriorZ}},
			Metrics: []Metric{{"loss", loss}, {"rec", rec}, {"mmd", mmd}},
		}
		return finish(st), nil
	})
}
