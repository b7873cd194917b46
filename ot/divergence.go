package ot

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// DivergenceResult is the debiased Sinkhorn divergence between two weighted
// point clouds, with its gradient with respect to the points.
type DivergenceResult struct {
	// Value is S_eps(a, b) = OT_eps(a, b) - (OT_eps(a, a) + OT_eps(b, b))/2,
	// evaluated in the dual form <a, F - FAA> + <b, G - GBB>.
	Value float64
	// OTab, OTaa and OTbb are the three entropic OT values (dual
	// objectives, see SinkhornResult.Dual).
	OTab, OTaa, OTbb float64
	// F and G are the potentials of OT_eps(a, b); FAA and GBB those of the
	// symmetric problems OT_eps(a, a) and OT_eps(b, b), in the GeomLoss
	// convention of SinkhornResult.
	F, G, FAA, GBB []float64
	// GradX (n×d) and GradY (m×d) are the gradients of Value with respect
	// to the rows of X and Y.
	GradX, GradY *mat.Dense
	// Log sums the iterations of the three problems and reports the
	// largest of their marginal errors.
	Log Log

	engines [3]*logEngine // the solved problems, until the gradients are done
}

// SinkhornDivergence returns the debiased Sinkhorn divergence
//
//	S_eps(a, b) = OT_eps(a, b) - OT_eps(a, a)/2 - OT_eps(b, b)/2
//
// between the measures sum_i a_i δ_{x_i} and sum_j b_j δ_{y_j} (x_i the rows
// of X, y_j the rows of Y), with OT_eps(a, b) = min_P <P, C> + eps KL(P | a⊗b)
// (Genevay, Peyré, Cuturi, AISTATS 2018; Feydy, Séjourné, Vialard, Amari,
// Trouvé, Peyré, "Interpolating between optimal transport and MMD using
// Sinkhorn divergences", AISTATS 2019). A nil a or b means uniform weights.
//
// Cost convention: C_ij = |x_i - y_j|^p with p = opts.P (default 2), the
// convention of Cost and POT's ot.dist, NOT GeomLoss's |x - y|²/2 for p = 2:
// GeomLoss's SamplesLoss("sinkhorn", p=2, blur=σ) equals half of this
// divergence with eps = 2σ².
//
// The three problems are solved by the log-stabilised Sinkhorn algorithm of
// Sinkhorn (epsilon-scaling and stopping rule from opts), the symmetric ones
// with the averaged update f <- (f + T(f))/2 of GeomLoss. The value is the
// dual form <a, F - FAA> + <b, G - GBB> and the gradients follow from the
// envelope theorem (the potentials are optimal, so only the explicit
// dependence of the cost on the points counts):
//
//	∇_{x_i} S = sum_j P_ij ∇_x c(x_i, y_j) - sum_k Paa_ik ∇_x c(x_i, x_k),
//
// with ∇_x c(x, y) = p |x - y|^{p-2} (x - y) (the self term appears twice in
// OT_eps(a, a), which cancels the factor 1/2), and symmetrically for y_j.
//
// Errors wrap ErrInput for bad input (see Cost and Sinkhorn) and
// ErrNotConverged, together with the result, if a problem hits MaxIter.
func SinkhornDivergence(X, Y *mat.Dense, a, b []float64, eps float64, opts *SinkhornOptions) (*DivergenceResult, error) {
	o, err := sinkhornDefaults(eps, opts)
	if err != nil {
		return nil, fmt.Errorf("sinkhorn divergence: %w", err)
	}
	Cxy, err := Cost(X, Y, o.P)
	if err != nil {
		return nil, fmt.Errorf("sinkhorn divergence: %w", err)
	}
	n, d := X.Dims()
	m, _ := Y.Dims()
	if a == nil {
		a = Uniform(n)
	}
	if b == nil {
		b = Uniform(m)
	}
	if len(a) != n || len(b) != m {
		return nil, inputErrorf("sinkhorn divergence: %d and %d points but len(a) = %d, len(b) = %d", n, m, len(a), len(b))
	}
	Cxx, _ := Cost(X, X, o.P)
	Cyy, _ := Cost(Y, Y, o.P)
	if o.unbalanced() {
		if _, _, err := problemWeightsUnbalanced("sinkhorn divergence", a, b, n, m, true); err != nil {
			return nil, err
		}
		x, y := mat.DenseCopyOf(X).RawMatrix().Data, mat.DenseCopyOf(Y).RawMatrix().Data
		var src [3]gradSource
		for k, c := range []struct {
			C    *mat.Dense
			P, Q []float64
		}{{Cxy, x, y}, {Cxx, x, x}, {Cyy, y, y}} {
			r, cols := c.C.Dims()
			s := newMatrixSource(c.C.RawMatrix().Data, r, cols, o.Workers)
			s.X, s.Y, s.d, s.p = c.P, c.Q, d, o.P
			src[k] = s
		}
		res, err := divergence(src, a, b, eps, &o)
		res.GradX = mat.NewDense(n, d, nil)
		res.GradY = mat.NewDense(m, d, nil)
		res.grads(src)
		if !res.finite() {
			return nil, fmt.Errorf("%w: sinkhorn divergence: non-finite result", ErrNotConverged)
		}
		return res, err
	}
	if err := checkBalanced(a, b); err != nil {
		return nil, fmt.Errorf("sinkhorn divergence: %w", err)
	}
	res := &DivergenceResult{}
	var notConv error
	solve := func(a, b []float64, C *mat.Dense, sym bool) (*sinkState, *SinkhornResult) {
		r, c := C.Dims()
		st := newSinkState(a, b, C.RawMatrix().Data, r, c, sym, o.Workers)
		if err := st.solve(eps, &o); err != nil && notConv == nil {
			notConv = err
		}
		sr := st.result(false)
		st.close()
		res.Log.Iterations += sr.Log.Iterations
		res.Log.MarginalError = math.Max(res.Log.MarginalError, sr.Log.MarginalError)
		return st, sr
	}
	stAB, ab := solve(a, b, Cxy, false)
	stAA, aa := solve(a, a, Cxx, true)
	stBB, bb := solve(stAB.b, stAB.b, Cyy, true) // b rescaled to the mass of a
	res.F, res.G, res.FAA, res.GBB = ab.F, ab.G, aa.F, bb.F
	res.OTab, res.OTaa, res.OTbb = ab.Dual, aa.Dual, bb.Dual
	bn := stAB.b
	for i, ai := range a {
		res.Value += ai * (ab.F[i] - aa.F[i])
	}
	for j, bj := range bn {
		res.Value += bj * (ab.G[j] - bb.F[j])
	}

	// Gradients: W = P ∘ p|x-y|^{p-2}; each OT term gives diag(W 1) X - W Y.
	Wab := gradWeights(stAB, Cxy, o.P)
	Waa := gradWeights(stAA, Cxx, o.P)
	Wbb := gradWeights(stBB, Cyy, o.P)
	res.GradX = transportGrad(Wab, X, Y, rowSums(Wab))
	res.GradX.Sub(res.GradX, transportGrad(Waa, X, X, rowSums(Waa)))
	res.GradY = transportGrad(Wab.T(), Y, X, colSums(Wab))
	res.GradY.Sub(res.GradY, transportGrad(Wbb, Y, Y, rowSums(Wbb)))
	if !res.finite() {
		return nil, fmt.Errorf("%w: sinkhorn divergence: non-finite result", ErrNotConverged)
	}
	return res, notConv
}

// gradWeights turns the kernel of a solved state into the matrix
// W_ij = P_ij p |x_i - y_j|^{p-2} (the state's kernel is overwritten).
func gradWeights(st *sinkState, C *mat.Dense, p float64) *mat.Dense {
	n, m := st.n, st.m
	Cd := C.RawMatrix().Data
	for i := 0; i < n; i++ {
		row := st.K[i*m : (i+1)*m]
		ui := st.u[i]
		for j := range row {
			w := ui * row[j] * st.v[j] * p
			if p != 2 {
				c := Cd[i*m+j]
				if c == 0 {
					w = 0 // ∇c vanishes (p > 1) or is undefined (p <= 1) at x = y
				} else {
					w *= math.Pow(c, (p-2)/p)
				}
			}
			row[j] = w
		}
	}
	return mat.NewDense(n, m, st.K)
}

func rowSums(W *mat.Dense) []float64 {
	n, _ := W.Dims()
	s := make([]float64, n)
	for i := range s {
		s[i] = floats.Sum(W.RawRowView(i))
	}
	return s
}

func colSums(W *mat.Dense) []float64 {
	n, m := W.Dims()
	s := make([]float64, m)
	for i := 0; i < n; i++ {
		floats.Add(s, W.RawRowView(i))
	}
	return s
}

// transportGrad returns diag(mass) X - W Y, the gradient with respect to X
// of an OT term whose gradient weights are W (see gradWeights), mass being
// the row sums of W.
func transportGrad(W mat.Matrix, X, Y *mat.Dense, mass []float64) *mat.Dense {
	var g mat.Dense
	g.Mul(W, Y)
	g.Scale(-1, &g)
	for i, m := range mass {
		floats.AddScaled(g.RawRowView(i), m, X.RawRowView(i))
	}
	return &g
}

// allFinite reports whether no value is NaN or infinite.
func allFinite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// SinkhornSelf returns OT_eps(a, a), the entropic OT value of the measure
// sum_i a_i δ_{x_i} with itself — the debiasing term of SinkhornDivergence —
// and its gradient with respect to the rows of X (a nil a means uniform
// weights). The symmetric problem is solved as in SinkhornDivergence, and
// the gradient follows from the envelope theorem; each point is both a
// source and a target, so
//
//	∇_{x_i} OT_eps(a, a) = 2 sum_k P_ik ∇_x c(x_i, x_k),
//
// with ∇_x c(x, y) = p |x - y|^{p-2} (x - y). Half of it is the spread term
// that the repulsive critic of Wang, Sun & Halgamuge (ICLR 2019) maximises
// on the data and minimises on the generated points. The problem is
// balanced: opts.Reach must be 0. Errors as for SinkhornDivergence.
func SinkhornSelf(X *mat.Dense, a []float64, eps float64, opts *SinkhornOptions) (float64, *mat.Dense, error) {
	const what = "sinkhorn self-transport"
	o, err := sinkhornDefaults(eps, opts)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", what, err)
	}
	if o.unbalanced() {
		return 0, nil, inputErrorf("%s: reach %v: the problem of a measure with itself is balanced (reach 0)", what, o.Reach)
	}
	C, err := Cost(X, X, o.P)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", what, err)
	}
	n, _ := X.Dims()
	if a == nil {
		a = Uniform(n)
	}
	if len(a) != n {
		return 0, nil, inputErrorf("%s: %d points but len(a) = %d", what, n, len(a))
	}
	if err := checkBalanced(a, a); err != nil {
		return 0, nil, fmt.Errorf("%s: %w", what, err)
	}
	st := newSinkState(a, a, C.RawMatrix().Data, n, n, true, o.Workers)
	notConv := st.solve(eps, &o)
	res := st.result(false)
	st.close()
	W := gradWeights(st, C, o.P)
	grad := transportGrad(W, X, X, rowSums(W))
	grad.Scale(2, grad)
	if !allFinite(res.Dual, mat.Sum(grad)) {
		return 0, nil, fmt.Errorf("%w: %s: non-finite result", ErrNotConverged, what)
	}
	if notConv != nil {
		notConv = fmt.Errorf("%s: %w", what, notConv)
	}
	return res.Dual, grad, notConv
}
