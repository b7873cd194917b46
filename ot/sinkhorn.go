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
	// Tol is the stopping threshold on the L1 marginal error
	// sum_i |(P 1)_i - a_i| (the column marginal is exact after every
	// iteration). Default 1e-9.
	Tol float64
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
	// epsilon of the schedule. Default 3.
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
	// P is the exponent of the ground cost |x - y|^P of SinkhornDivergence
	// (ignored by Sinkhorn, which takes a cost matrix). Default 2.
	P float64
}

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
	// Log holds the total number of iterations and the final L1 marginal
	// error of the plan.
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
	a, b, err := problemWeights("sinkhorn", a, b, M)
	if err != nil {
		return nil, err
	}
	n, m := M.Dims()
	o, err := sinkhornDefaults(eps, opts)
	if err != nil {
		return nil, err
	}
	raw := M.RawMatrix()
	st := newSinkState(a, b, contiguous(raw, n, m), n, m, false, o.Workers)
	defer st.release()
	if err := st.checkCosts(); err != nil {
		return nil, fmt.Errorf("sinkhorn: %w", err)
	}
	runErr := st.solve(eps, &o)
	res := st.result(o.Plan)
	if runErr != nil {
		return res, runErr
	}
	return res, nil
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
	if o.P == 0 {
		o.P = 2
	}
	if math.IsNaN(o.P) || math.IsInf(o.P, 0) || o.P <= 0 {
		return o, inputErrorf("sinkhorn: P = %v, want a finite positive number", o.P)
	}
	return o, nil
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
