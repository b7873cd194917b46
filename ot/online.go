package ot

import "fmt"

// SinkhornOnline solves the entropic optimal transport problem of
// Sinkhorn between the point clouds X (n points) and Y (m points) with the
// cost |x - y|^P (opts.P, default 2), weights a and b (nil: uniform),
// without ever storing the n×m cost matrix: every iteration recomputes the
// costs block by block from the coordinates and reduces them at once
// (GeomLoss's "online" backend, with KeOps; here blocked log-sum-exp
// sweeps on all cores). Memory is O((n + m) d), so it scales to clouds
// whose cost matrix would not fit (10^5 points and more).
//
// The iterations are the log-domain form of Sinkhorn's: with potentials f
// and g (the GeomLoss convention of SinkhornResult),
//
//	f_i <- -eps LSE_j (log b_j + (g_j - C_ij)/eps),
//	g_j <- -eps LSE_i (log a_i + (f_i - C_ij)/eps),
//
// with the epsilon-scaling schedule, the over-relaxation and the stopping
// rule of Sinkhorn (opts: Tol on the marginal error in the norm Norm,
// MaxIter, ScalingFactor, StageIter, NoScaling, NoOverrelax), warm starts
// (InitF, InitG) and unbalanced marginals (Reach, see SinkhornOptions).
//
// For P = 2 the cost is |x|² + |y|² - 2<x, y>, so a block of costs is a
// small matrix product (assembly kernels with AVX-512 or AVX2 where the
// CPU has them, otgen/sgemm from dimension 33 on), reduced in float32 with
// float64 sums (opts.Precision; PrecisionFloat64 computes everything in
// float64, as for P != 2, more slowly). The float32 path resolves the plan
// to about 1e-5 relative, so tolerances below that are reached on the
// float32 plan only.
//
// The result has the potentials F and G, the entropic value Dual (for
// unbalanced problems the dual objective of Séjourné et al.), the cost
// <P, C> (computed by one more streaming pass) and the Log with the
// iterations and the marginal errors; Plan is never formed (opts.Plan is
// an error). Bad input (empty, non-finite or mismatched clouds, bad
// weights, unbalanced sums without Reach, eps <= 0, bad options) is an
// error wrapping ErrInput. A run that hits MaxIter returns its result
// together with an error wrapping ErrNotConverged.
func SinkhornOnline(X, Y Points32, a, b []float64, eps float64, opts *SinkhornOptions) (*SinkhornResult, error) {
	const what = "sinkhorn online"
	o, err := sinkhornDefaults(eps, onlineStageIter(opts))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := checkClouds(X, Y); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if o.Plan {
		return nil, inputErrorf("%s: the online solver never forms the plan (Plan is set): use Sinkhorn on Cost(X, Y)", what)
	}
	if a, b, err = problemWeightsUnbalanced(what, a, b, X.N, Y.N, o.unbalanced()); err != nil {
		return nil, err
	}
	if err := o.checkInit(what, X.N, Y.N); err != nil {
		return nil, err
	}
	e := newLogEngine(onlineSource(X, Y, false, eps, &o), a, b, false, o.rho())
	warm := o.InitF != nil || o.InitG != nil
	copy(e.f, o.InitF)
	copy(e.g, o.InitG)
	runErr := e.solve(eps, &o, warm)
	return e.result(), runErr
}

// onlineStageIter returns opts with StageIter 1 unless it is set.
func onlineStageIter(opts *SinkhornOptions) *SinkhornOptions {
	var o SinkhornOptions
	if opts != nil {
		o = *opts
	}
	if o.StageIter == 0 {
		o.StageIter = 1
	}
	return &o
}

// maxCostOverEps32 bounds cost/eps on the float32 path: the exponents are
// then below 10^6·log2(e), still resolved to 0.1 in float32.
const maxCostOverEps32 = 1e6

// checkClouds validates two point clouds of the same dimension.
func checkClouds(X, Y Points32) error {
	if err := X.check("X"); err != nil {
		return err
	}
	if err := Y.check("Y"); err != nil {
		return err
	}
	if X.D != Y.D {
		return inputErrorf("X has dimension %d but Y has %d", X.D, Y.D)
	}
	return nil
}

// onlineSource returns the source of the online solvers for the options:
// float32 kernels for P = 2 unless PrecisionFloat64, float64 otherwise.
// With sym, Y is ignored and the source is X against itself. The float32
// path also gives way to float64 when the costs exceed eps by more than
// maxCostOverEps32, where float32 exponents would lose all precision.
func onlineSource(X, Y Points32, sym bool, eps float64, o *SinkhornOptions) lseSource {
	workers := workerCount(o.Workers)
	if o.P == 2 && o.Precision != PrecisionFloat64 {
		s := newSource32(X, Y, sym, kern32, workers)
		if s.costRange()/eps <= maxCostOverEps32 {
			return s
		}
	}
	x := X.Dense().RawMatrix().Data
	y := x
	m := X.N
	if !sym {
		y = Y.Dense().RawMatrix().Data
		m = Y.N
	}
	return newPointSource(x, y, X.N, m, X.D, o.P, workers)
}
