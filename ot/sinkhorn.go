package ot

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// SinkhornOptions configures Sinkhorn and SinkhornDivergence. A nil
// *SinkhornOptions means the defaults; a zero field means its default.
type SinkhornOptions struct {
	// Tol is the stopping threshold on the marginal error, by default
	// its L1 norm sum_i |(P 1)_i - a_i| + sum_j |(Pᵀ 1)_j - b_j| (the
	// column marginal is exact after every plain iteration; see Norm).
	// Default 1e-9.
	Tol float64
	// Norm selects the norm of the marginal error that Tol bounds and
	// Log reports: NormL1 (the default) or NormL2, the Euclidean norm of
	// all row and column differences, the stopping rule of POT (whose
	// ot.sinkhorn checks the L2 norm of the column differences).
	Norm ErrorNorm
	// MaxIter bounds the total number of Sinkhorn iterations (one
	// iteration updates both potentials), summed over all epsilon stages.
	// Default 1000.
	MaxIter int
	// ScalingFactor is the ratio between successive epsilons of the
	// epsilon-scaling schedule, in (0, 1). Default 0.5.
	ScalingFactor float64
	// NoScaling disables epsilon-scaling: all iterations run at the target
	// epsilon (the plain algorithm of POT's ot.sinkhorn).
	NoScaling bool
	// StageIter is the number of iterations run at each intermediate
	// epsilon of the schedule. Default 3, and 1 for the online solvers,
	// whose every iteration is a full pass over the costs (GeomLoss also
	// runs one update per epsilon).
	StageIter int
	// NoOverrelax disables the over-relaxation of the iterations at the
	// target epsilon (see Sinkhorn).
	NoOverrelax bool
	// Plan asks Sinkhorn for the dense n×m plan.
	Plan bool
	// Workers is the number of goroutines of the row and column sweeps;
	// 0 means runtime.GOMAXPROCS(0). Small problems always run on one.
	// The results are identical for every number of workers up to the
	// order of floating-point additions in the column sums.
	Workers int
	// P is the exponent of the ground cost |x - y|^P of the solvers that
	// take points (SinkhornDivergence and the online solvers); for
	// Sinkhorn, which takes a cost matrix, it only converts Reach.
	// Default 2.
	P float64
	// Reach, when positive, makes the problem unbalanced: the marginal
	// constraints are relaxed into penalties rho KL(P 1 | a) +
	// rho KL(Pᵀ 1 | b) with rho = Reach^P, GeomLoss's convention (the
	// distance beyond which moving mass costs more than creating or
	// destroying it). a and b may then have different masses. 0 (the
	// default) is balanced OT.
	Reach float64
	// Precision selects the arithmetic of the online solvers: the default
	// PrecisionAuto (and PrecisionFloat32) reduces blocks of costs
	// recomputed in float32 (squared Euclidean costs, P = 2) with float64
	// sums, at about 1e-5 relative accuracy on the plan;
	// PrecisionFloat64 computes every cost and exponential in float64
	// (slower, exact to rounding, and the path of P != 2). The dense
	// solvers are always float64.
	Precision Precision
	// InitF and InitG, when set, are the potentials (GeomLoss convention,
	// as SinkhornResult.F and G) to start from: a warm start, for
	// instance from the result of a nearby problem. Epsilon-scaling is
	// then skipped and every iteration runs at the target epsilon. Each
	// must have the length of its weights; Sinkhorn uses InitG only (its
	// first update recomputes F from G).
	InitF, InitG []float64
}

// ErrorNorm is the norm of a marginal error vector.
type ErrorNorm int

const (
	// NormL1 is the sum of absolute differences.
	NormL1 ErrorNorm = iota
	// NormL2 is the Euclidean norm of the differences.
	NormL2
)

// SinkhornResult is the solution of an entropic optimal transport problem.
type SinkhornResult struct {
	// F and G are the dual potentials in the convention of GeomLoss
	// (Feydy et al. 2019): the plan is
	//	P_ij = a_i b_j exp((F_i + G_j - M_ij) / eps).
	// Points of zero weight get the extension
	// F_i = -eps log sum_j b_j exp((G_j - M_ij)/eps), and likewise for G.
	F, G []float64
	// Cost is the transport cost <P, M> of the entropic plan (POT's
	// sum(P * M)); it tends to the exact EMD cost as eps -> 0.
	Cost float64
	// Dual is the dual objective <a, F> + <b, G>, which at convergence
	// equals the entropic OT value
	//	OT_eps(a, b) = min_P <P, M> + eps KL(P | a ⊗ b)
	// used by GeomLoss and SinkhornDivergence.
	Dual float64
	// Plan is the dense n×m plan, set only when SinkhornOptions.Plan is.
	Plan *mat.Dense
	// Log holds the total number of iterations, the final marginal error
	// of the plan (in the norm of SinkhornOptions.Norm) and its history.
	Log Log
}

// Sinkhorn solves the entropy-regularised optimal transport problem between
// the weights a (length n) and b (length m) with the n×m cost matrix M
// (Cuturi, "Sinkhorn distances: lightspeed computation of optimal
// transport", NeurIPS 2013), like POT's ot.sinkhorn. A nil a or b means
// uniform weights; b is rescaled to the sum of a (the sums must agree within
// MassTolerance).
//
// The solver is the log-stabilised scaling algorithm with epsilon-scaling of
// Schmitzer ("Stabilized sparse scaling algorithms for entropy regularized
// transport problems", SIAM J. Sci. Comput. 2019), in float64: the dual
// potentials are kept in the log domain and absorbed into the kernel
// K_ij = exp((f_i + g_j - M_ij)/eps), the iterations in between are
// matrix-vector products with K (one fused sweep over K per iteration), and
// each absorption recomputes K with a max-shifted log-sum-exp, so that no
// overflow or underflow can occur for any eps; a row or column whose kernel
// sum underflows is updated exactly in the log domain. With epsilon-scaling
// (the default, as in GeomLoss: Feydy et al., "Interpolating between optimal
// transport and MMD using Sinkhorn divergences", AISTATS 2019) eps is
// annealed from the range of M down to the target by ScalingFactor, running
// StageIter iterations at each intermediate value.
//
// At the target epsilon the iterations are over-relaxed (Thibault, Chizat,
// Dossal and Papadakis, "Overrelaxed Sinkhorn–Knopp algorithm for
// regularized optimal transport", Algorithms 2021): u <- u^(1-w) (a/Kv)^w
// and likewise for v, which has the same fixed point as Sinkhorn and, for
// the optimal w = 2/(1+sqrt(1-theta)), turns the linear rate theta of
// Sinkhorn into w-1. theta is estimated from the observed decay of the
// marginal error once it is steady (plain Sinkhorn before that); if the
// error then grows instead, the iterations fall back to w = 1.
// NoOverrelax disables it.
//
// The iterations stop when the L1 marginal error of the current plan
// (rows plus columns; the columns are exact for plain Sinkhorn) is at most
// Tol; it is computed exactly, within the sweeps. If
// MaxIter iterations run first, Sinkhorn returns the result together with an
// error wrapping ErrNotConverged. Bad input (negative, NaN or infinite
// weights or costs, mismatched sizes, unbalanced sums, eps <= 0) is an error
// wrapping ErrInput.
func Sinkhorn(a, b []float64, M *mat.Dense, eps float64, opts *SinkhornOptions) (*SinkhornResult, error) {
	o, err := sinkhornDefaults(eps, opts)
	if err != nil {
		return nil, err
	}
	if M == nil || M.IsEmpty() {
		return nil, inputErrorf("sinkhorn: empty cost matrix")
	}
	n, m := M.Dims()
	if a, b, err = problemWeightsUnbalanced("sinkhorn", a, b, n, m, o.unbalanced()); err != nil {
		return nil, err
	}
	if err := o.checkInit("sinkhorn", n, m); err != nil {
		return nil, err
	}
	raw := M.RawMatrix()
	if o.unbalanced() {
		if err := checkCosts(n, m, raw.Stride, raw.Data); err != nil {
			return nil, fmt.Errorf("sinkhorn: %w", err)
		}
		return sinkhornUnbalanced(a, b, contiguous(raw, n, m), n, m, eps, &o)
	}
	st := newSinkState(a, b, contiguous(raw, n, m), n, m, false, o.Workers)
	defer st.release()
	if err := st.checkCosts(); err != nil {
		return nil, fmt.Errorf("sinkhorn: %w", err)
	}
	if o.InitG != nil {
		st.warm = true
		for j, gj := range o.InitG {
			if st.b[j] > 0 {
				st.g[j] = gj + eps*math.Log(st.b[j])
			}
		}
	}
	runErr := st.solve(eps, &o)
	res := st.result(o.Plan)
	if runErr != nil {
		return res, runErr
	}
	return res, nil
}

// sinkhornUnbalanced solves the unbalanced problem on the n×m matrix M
// (row-major, stride m) with the log-domain engine.
func sinkhornUnbalanced(a, b, M []float64, n, m int, eps float64, o *SinkhornOptions) (*SinkhornResult, error) {
	src := newMatrixSource(M, n, m, o.Workers)
	e := newLogEngine(src, a, b, false, o.rho())
	warm := o.InitF != nil || o.InitG != nil
	copy(e.f, o.InitF)
	copy(e.g, o.InitG)
	runErr := e.solve(eps, o, warm)
	res := e.result()
	if o.Plan {
		res.Plan = mat.NewDense(n, m, nil)
		for i := 0; i < n; i++ {
			row := res.Plan.RawRowView(i)
			for j := range row {
				row[j] = math.Exp(e.la[i] + e.lb[j] + (e.f[i]+e.g[j]-M[i*m+j])/eps)
			}
		}
	}
	return res, runErr
}

// sinkhornDefaults validates eps and fills in the default options.
func sinkhornDefaults(eps float64, opts *SinkhornOptions) (SinkhornOptions, error) {
	var o SinkhornOptions
	if opts != nil {
		o = *opts
	}
	if math.IsNaN(eps) || math.IsInf(eps, 0) || eps <= 0 {
		return o, inputErrorf("sinkhorn: eps = %v, want a finite positive number", eps)
	}
	if o.Tol == 0 {
		o.Tol = 1e-9
	}
	if math.IsNaN(o.Tol) || o.Tol < 0 {
		return o, inputErrorf("sinkhorn: Tol = %v, want non-negative", o.Tol)
	}
	if o.MaxIter == 0 {
		o.MaxIter = 1000
	}
	if o.MaxIter < 0 {
		return o, inputErrorf("sinkhorn: MaxIter = %d, want positive", o.MaxIter)
	}
	if o.ScalingFactor == 0 {
		o.ScalingFactor = 0.5
	}
	if !(o.ScalingFactor > 0 && o.ScalingFactor < 1) {
		return o, inputErrorf("sinkhorn: ScalingFactor = %v, want in (0, 1)", o.ScalingFactor)
	}
	if o.StageIter == 0 {
		o.StageIter = 3
	}
	if o.StageIter < 0 {
		return o, inputErrorf("sinkhorn: StageIter = %d, want positive", o.StageIter)
	}
	o.Workers = workerCount(o.Workers)
	if o.Norm != NormL1 && o.Norm != NormL2 {
		return o, inputErrorf("sinkhorn: unknown Norm %d", o.Norm)
	}
	if o.P == 0 {
		o.P = 2
	}
	if math.IsNaN(o.P) || math.IsInf(o.P, 0) || o.P <= 0 {
		return o, inputErrorf("sinkhorn: P = %v, want a finite positive number", o.P)
	}
	if math.IsNaN(o.Reach) || math.IsInf(o.Reach, 0) || o.Reach < 0 {
		return o, inputErrorf("sinkhorn: Reach = %v, want a finite non-negative number (0: balanced)", o.Reach)
	}
	if o.Precision < PrecisionAuto || o.Precision > PrecisionFloat32 {
		return o, inputErrorf("sinkhorn: unknown Precision %d", o.Precision)
	}
	for _, p := range [][]float64{o.InitF, o.InitG} {
		for i, v := range p {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return o, inputErrorf("sinkhorn: initial potential [%d] is %v", i, v)
			}
		}
	}
	return o, nil
}

// rho returns the marginal penalty rho = Reach^P of the options, +Inf for
// balanced problems.
func (o *SinkhornOptions) rho() float64 {
	if o.Reach == 0 {
		return math.Inf(1)
	}
	return math.Pow(o.Reach, o.P)
}

// unbalanced reports whether the options relax the marginals.
func (o *SinkhornOptions) unbalanced() bool { return o.Reach > 0 }

// checkInit checks the lengths of the warm-start potentials.
func (o *SinkhornOptions) checkInit(what string, n, m int) error {
	if o.InitF != nil && len(o.InitF) != n {
		return inputErrorf("%s: len(InitF) = %d, want %d", what, len(o.InitF), n)
	}
	if o.InitG != nil && len(o.InitG) != m {
		return inputErrorf("%s: len(InitG) = %d, want %d", what, len(o.InitG), m)
	}
	return nil
}

// problemWeightsUnbalanced checks the weights of a problem with n sources
// and m targets (nil means uniform): balanced problems need equal sums,
// unbalanced ones only valid weights.
func problemWeightsUnbalanced(what string, a, b []float64, n, m int, unbalanced bool) ([]float64, []float64, error) {
	if a == nil {
		a = Uniform(n)
	}
	if b == nil {
		b = Uniform(m)
	}
	if len(a) != n || len(b) != m {
		return nil, nil, inputErrorf("%s: %d sources and %d targets but len(a) = %d, len(b) = %d", what, n, m, len(a), len(b))
	}
	if !unbalanced {
		if err := checkBalanced(a, b); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", what, err)
		}
		return a, b, nil
	}
	if _, err := checkWeights("a", a); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	if _, err := checkWeights("b", b); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	return a, b, nil
}

// contiguous returns the n×m matrix as a row-major slice with stride m,
// copying only when the stride differs.
func contiguous(r blas64.General, n, m int) []float64 {
	if r.Stride == m {
		return r.Data[:n*m]
	}
	out := make([]float64, n*m)
	for i := 0; i < n; i++ {
		copy(out[i*m:(i+1)*m], r.Data[i*r.Stride:i*r.Stride+m])
	}
	return out
}
