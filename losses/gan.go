package losses

import (
	G "gorgonia.org/gorgonia"

	"otgen/nn"
)

// softplus returns log(1 + exp(l)) computed stably as
// max(l, 0) + log1p(exp(−|l|)).
func softplus(l *G.Node) *G.Node {
	tail := must(G.Log1p(must(G.Exp(must(G.Neg(must(G.Abs(l))))))))
	return must(G.Add(must(G.Rectify(l)), tail))
}

// lerpRows returns eps ⊙ a + (1 − eps) ⊙ b, the random interpolates of
// WGAN-GP when eps holds one U[0,1] draw per row, in one pass
// (nn.LerpRows).
func lerpRows(eps, a, b *G.Node) *G.Node { return must(nn.LerpRows(eps, a, b)) }

// meanScore returns the batch mean of critic scores (batch×1).
func meanScore(y *G.Node) *G.Node { return must(G.Mean(y)) }
