package losses

import (
	G "gorgonia.org/gorgonia"

	"otgen/models"
	"otgen/nn"
)

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
		if m.Config.Prior == "uniform" {
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
