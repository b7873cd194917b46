package ot

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// gradSource is a source of the log-domain engine that can also stream the
// gradient of <P, C> with respect to the points.
type gradSource interface {
	lseSource
	gradRows(G *mat.Dense, rows bool, f, g, la, lb []float64, eps float64)
}

// SinkhornDivergenceOnline is SinkhornDivergence between the point clouds
// X and Y without storing any cost matrix: the three problems OT(a, b),
// OT(a, a) and OT(b, b) are solved by the online solver (see
// SinkhornOnline for the options, including Reach for unbalanced
// divergences and Precision), and the gradients GradX and GradY come from
// the potentials by the envelope theorem,
//
//	∇_{x_i} S = sum_j P_ij ∇_x c(x_i, y_j) - sum_k Paa_ik ∇_x c(x_i, x_k),
//
// each sum streamed block by block like the iterations. Memory is
// O((n + m) d). The value is
//
//	S = OT(a, b) - OT(a, a)/2 - OT(b, b)/2 + eps/2 (m(a) - m(b))²,
//
// the unbalanced Sinkhorn divergence of Séjourné, Feydy, Vialard, Trouvé
// and Peyré (2019) when Reach is set (the last term, 0 for balanced
// problems, makes it vanish for a = b), with the OT values the dual
// objectives of SinkhornResult.Dual. Errors are those of SinkhornOnline;
// if a problem does not converge, the result comes with an error wrapping
// ErrNotConverged.
func SinkhornDivergenceOnline(X, Y Points32, a, b []float64, eps float64, opts *SinkhornOptions) (*DivergenceResult, error) {
	const what = "sinkhorn divergence online"
	o, err := sinkhornDefaults(eps, onlineStageIter(opts))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := checkClouds(X, Y); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if o.Plan || o.InitF != nil || o.InitG != nil {
		return nil, inputErrorf("%s: Plan, InitF and InitG do not apply to the divergence", what)
	}
	if a, b, err = problemWeightsUnbalanced(what, a, b, X.N, Y.N, o.unbalanced()); err != nil {
		return nil, err
	}
	sources := [3]gradSource{}
	for k, pair := range [3][2]Points32{{X, Y}, {X, X}, {Y, Y}} {
		sources[k] = onlineSource(pair[0], pair[1], k > 0, eps, &o).(gradSource)
	}
	res, err := divergence(sources, a, b, eps, &o)
	if res == nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	res.GradX = mat.NewDense(X.N, X.D, nil)
	res.GradY = mat.NewDense(Y.N, Y.D, nil)
	res.grads(sources)
	if !res.finite() {
		return nil, fmt.Errorf("%w: %s: non-finite result", ErrNotConverged, what)
	}
	return res, err
}

// divergence solves the three problems of the divergence on the sources
// (X against Y, X against itself, Y against itself) with the log-domain
// engine and fills in the value, the OT values and the potentials; the
// gradients are left to grads. The error wraps ErrNotConverged if a
// problem did not converge.
func divergence(src [3]gradSource, a, b []float64, eps float64, o *SinkhornOptions) (*DivergenceResult, error) {
	rho := o.rho()
	engines := [3]*logEngine{
		newLogEngine(src[0], a, b, false, rho),
		newLogEngine(src[1], a, a, true, rho),
		nil,
	}
	// balanced: b rescaled to the mass of a, as in OT(a, b)
	engines[2] = newLogEngine(src[2], engines[0].b, engines[0].b, true, rho)
	res := &DivergenceResult{}
	var notConv error
	for _, e := range engines {
		if err := e.solve(eps, o, false); err != nil && notConv == nil {
			notConv = err
		}
		res.Log.Iterations += e.iters
		res.Log.MarginalError = math.Max(res.Log.MarginalError, e.err)
	}
	ab, aa, bb := engines[0], engines[1], engines[2]
	res.OTab, res.OTaa, res.OTbb = ab.dual(), aa.dual(), bb.dual()
	res.F = append([]float64(nil), ab.f...)
	res.G = append([]float64(nil), ab.g...)
	res.FAA = append([]float64(nil), aa.f...)
	res.GBB = append([]float64(nil), bb.f...)
	ma, mb := sum(a), sum(ab.b)
	res.Value = res.OTab - res.OTaa/2 - res.OTbb/2 + eps/2*(ma-mb)*(ma-mb)
	res.engines = engines
	return res, notConv
}

// grads computes GradX and GradY (allocated, zero) from the solved
// engines of divergence.
func (res *DivergenceResult) grads(src [3]gradSource) {
	ab, aa, bb := res.engines[0], res.engines[1], res.engines[2]
	eps := ab.eps
	src[0].gradRows(res.GradX, true, ab.f, ab.g, ab.la, ab.lb, eps)
	src[0].gradRows(res.GradY, false, ab.f, ab.g, ab.la, ab.lb, eps)
	n, d := res.GradX.Dims()
	m, _ := res.GradY.Dims()
	self := mat.NewDense(n, d, nil)
	src[1].gradRows(self, true, aa.f, aa.f, aa.la, aa.la, aa.eps)
	res.GradX.Sub(res.GradX, self)
	self = mat.NewDense(m, d, nil)
	src[2].gradRows(self, true, bb.f, bb.f, bb.la, bb.la, bb.eps)
	res.GradY.Sub(res.GradY, self)
	res.engines = [3]*logEngine{}
}

// finite reports whether the value and the gradients are finite.
func (res *DivergenceResult) finite() bool {
	return allFinite(res.Value, mat.Sum(res.GradX), mat.Sum(res.GradY))
}
