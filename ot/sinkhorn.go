package ot

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
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
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
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

// absorbLimit bounds the scalings u, v before they are absorbed into the
// potentials and the kernel is recomputed (Schmitzer 2019, Alg. 2).
const absorbLimit = 1e50

// parallelMin is the number of kernel entries from which sweeps run on
// several goroutines.
const parallelMin = 1 << 16

// sinkState is the state of the stabilised scaling algorithm. The full
// (Cuturi-convention) potentials are f + eps log u and g + eps log v, and
// the plan is P_ij = u_i K_ij v_j with K_ij = exp((f_i + g_j - M_ij)/eps).
// In the symmetric case (sym), g, v alias f, u.
type sinkState struct {
	n, m   int
	a, b   []float64
	M      []float64
	sym    bool
	eps    float64
	f, g   []float64
	u, v   []float64
	un     []float64 // the next u, written by the sweep
	K      []float64
	tmp    []float64   // row sums (K v)_i for the symmetric update
	acc    [][]float64 // per-worker column accumulators
	werr   []float64   // per-worker partial sums
	nw     int
	ranges []int
	iters  int
	errL1  float64
	pool   *workerPool
	// omega is the over-relaxation parameter of the sweeps (1: plain
	// Sinkhorn).
	omega float64
	// colErr is the L1 column-marginal error of the plan diag(u) K
	// diag(v) (computed by updateV and the kernel builds); dirty marks a
	// sweep whose row error does not describe that plan (a fallback
	// rebuilt a row).
	colErr float64
	dirty  []bool

	sweepFn, colFn, rowLSEFn, expFn, symFn func(w int)
}

func newSinkState(a, b, M []float64, n, m int, sym bool, workers int) *sinkState {
	st := &sinkState{n: n, m: m, M: M, sym: sym}
	st.a = a
	sa, sb := floats.Sum(a), floats.Sum(b)
	if sym || sa == sb {
		st.b = b
	} else {
		st.b = make([]float64, m)
		floats.ScaleTo(st.b, sa/sb, b)
	}
	st.f = make([]float64, n)
	st.u = make([]float64, n)
	if sym {
		st.g, st.v = st.f, st.u
		st.tmp = make([]float64, n)
	} else {
		st.g = make([]float64, m)
		st.v = make([]float64, m)
		st.un = make([]float64, n)
	}
	st.omega = 1
	for i := range st.u {
		if a[i] > 0 {
			st.u[i] = 1
		}
	}
	if !sym {
		for j := range st.v {
			if st.b[j] > 0 {
				st.v[j] = 1
			}
		}
	}
	st.K = getKernelBuf(n * m)
	nw := workers
	if n*m < parallelMin {
		nw = 1
	}
	if nw > n {
		nw = n
	}
	st.nw = nw
	st.ranges = make([]int, nw+1)
	for w := 0; w <= nw; w++ {
		st.ranges[w] = w * n / nw
	}
	st.acc = make([][]float64, nw)
	for w := range st.acc {
		st.acc[w] = make([]float64, m)
	}
	st.werr = make([]float64, nw)
	st.dirty = make([]bool, nw)
	st.sweepFn, st.colFn, st.rowLSEFn, st.expFn, st.symFn = st.sweep, st.colSums, st.rowLSE, st.expKernel, st.symRows
	st.pool = newWorkerPool(nw)
	return st
}

func (st *sinkState) close() { st.pool.close() }

// release closes the state and returns its kernel buffer for reuse by a
// later call; the state must not be used afterwards.
func (st *sinkState) release() {
	st.close()
	putKernelBuf(st.K)
	st.K = nil
}

// kernelBufs recycles the kernel buffers of Sinkhorn between calls:
// allocating (and zeroing) n*m floats per call cost as much as a few
// iterations on the large problems. The buffers are fully overwritten by
// the first kernel build.
var kernelBufs sync.Pool

func getKernelBuf(size int) []float64 {
	if size >= 1<<12 {
		if p, ok := kernelBufs.Get().(*[]float64); ok {
			if cap(*p) >= size {
				return (*p)[:size]
			}
			kernelBufs.Put(p)
		}
	}
	return make([]float64, size)
}

func putKernelBuf(b []float64) {
	if cap(b) >= 1<<12 {
		kernelBufs.Put(&b)
	}
}

// checkCosts validates the cost matrix, each worker its rows (in parallel).
func (st *sinkState) checkCosts() error {
	errs := make([]error, st.nw)
	st.pool.run(func(w int) {
		lo, hi := st.ranges[w], st.ranges[w+1]
		if err := checkCosts(hi-lo, st.m, st.m, st.M[lo*st.m:hi*st.m]); err != nil {
			errs[w] = checkCosts(st.n, st.m, st.m, st.M) // names the entry
		}
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// solve runs the epsilon schedule down to eps.
func (st *sinkState) solve(eps float64, o *SinkhornOptions) error {
	schedule := []float64{eps}
	if !o.NoScaling {
		lo, hi := floats.Min(st.M), floats.Max(st.M)
		e0 := hi - lo
		schedule = schedule[:0]
		for e := e0; e > eps; e *= o.ScalingFactor {
			schedule = append(schedule, e)
		}
		schedule = append(schedule, eps)
	}
	iters := 0
	errL1 := math.Inf(1)
	converged := false
	for s, e := range schedule {
		final := s == len(schedule)-1
		st.omega = 1
		st.setEps(e, s == 0)
		limit := o.MaxIter - iters
		if !final && limit > o.StageIter {
			limit = o.StageIter
		}
		var sor sorControl
		converged = false
		for k := 0; k < limit; k++ {
			errL1, converged = st.iterate(o.Tol)
			iters++
			if converged {
				break
			}
			if final && !st.sym && !o.NoOverrelax {
				st.omega = sor.next(errL1)
			}
			st.maybeAbsorb()
		}
		if iters >= o.MaxIter && !(final && converged) {
			break
		}
	}
	if !converged || st.sym {
		errL1 = st.marginalError()
	}
	st.iters = iters
	st.errL1 = errL1
	if errL1 > o.Tol || math.IsNaN(errL1) {
		return fmt.Errorf("%w: sinkhorn: marginal error %.3g > Tol %.3g after %d iterations", ErrNotConverged, errL1, o.Tol, iters)
	}
	return nil
}

// sorControl chooses the over-relaxation parameter from the sequence of
// marginal errors.
//
// Sinkhorn's linear rate often changes along the run: a fast transient,
// then a slower asymptotic rate (the second eigenvalue of the linearised
// iteration), so that w chosen from an early theta is too small and the
// over-relaxed iterations crawl at a rate far above the w-1 they promise
// (an instance of otgen's benchmark clouds, d=2 n=500: theta 0.92 at first,
// 0.999 later; w = 1.56 then needs 3500 iterations, plain Sinkhorn 11000).
// So the rate keeps being measured under w: once it is steady and clearly
// slower than w-1, theta is recovered from it through the SOR relation
// (r + w - 1)^2 = r w^2 theta (Young's theorem for the real root r of the
// over-relaxed iteration on the eigenvalue theta) and w is raised to
// 2/(1+sqrt(1-theta)).
type sorControl struct {
	hist    [7]float64 // the last errors, newest last
	n       int        // errors recorded since the last change of w
	omega   float64
	prev    float64 // the previous w (1 before the first)
	best    float64
	raises  int
	stopped bool
}

// sorMaxRaises bounds the number of times w is raised.
const sorMaxRaises = 16

// steadyRate returns the rate of decay of the last errors and whether it
// is steady (the same over two overlapping windows of five iterations).
func (c *sorControl) steadyRate() (float64, bool) {
	h := c.hist
	th1 := math.Pow(h[6]/h[1], 0.2)
	th0 := math.Pow(h[5]/h[0], 0.2)
	return th1, th1 > 0 && th1 < 1 && math.Abs(th1-th0) < 0.01*(1-th1)+1e-3
}

// sorOmega is the optimal w = 2/(1+sqrt(1-theta)) rounded up to a coarse
// grid (so that rounding differences in the errors, e.g. the number of
// workers, rarely change it), at most 1.95. Up, because the rate of the
// over-relaxed iteration is w-1 above the optimum but rises like a square
// root below it.
func sorOmega(theta float64) float64 {
	w := 2 / (1 + math.Sqrt(1-theta))
	w = math.Ceil(w*64) / 64
	return math.Min(w, 1.95)
}

func (c *sorControl) record(err float64) {
	copy(c.hist[:], c.hist[1:])
	c.hist[len(c.hist)-1] = err
	c.n++
}

// next records the error of the iteration just done and returns the
// parameter of the next one.
func (c *sorControl) next(err float64) float64 {
	if c.stopped {
		return c.omega
	}
	if c.omega > 1 {
		c.best = math.Min(c.best, err)
		if !(err <= 100*c.best) { // diverging (or NaN): back to the last safe w
			c.stopped = true
			c.omega = c.prev
			return c.omega
		}
		c.record(err)
		if c.n < 10 || c.raises >= sorMaxRaises {
			return c.omega
		}
		r, ok := c.steadyRate()
		w := c.omega
		if !ok || r <= (w-1)+0.25*(2-w) {
			return c.omega
		}
		theta := (r + w - 1) * (r + w - 1) / (r * w * w)
		if !(theta > 0 && theta < 1) {
			return c.omega
		}
		if nw := sorOmega(theta); nw > w+1.0/64 {
			c.prev, c.omega = w, nw
			c.best, c.n = err, 0
			c.raises++
		}
		return c.omega
	}
	c.omega = 1
	c.record(err)
	if c.n < 10 {
		return 1
	}
	th, ok := c.steadyRate()
	if !ok {
		return 1
	}
	c.prev, c.omega = 1, sorOmega(th)
	c.best, c.n = err, 0
	return c.omega
}

// setEps switches to a new epsilon: the scalings are absorbed into the
// potentials at the old epsilon and the kernel is rebuilt at the new one.
func (st *sinkState) setEps(e float64, first bool) {
	if !first {
		st.absorb()
	}
	st.eps = e
	if st.sym {
		st.pool.run(st.expFn)
		return
	}
	// An exact log-domain row update that also rebuilds K and sums its
	// columns, then the column update.
	st.pool.run(st.rowLSEFn)
	st.updateV()
}

// absorb moves eps log u and eps log v into f and g and resets u, v to 1
// (0 for points of zero weight).
func (st *sinkState) absorb() {
	for i, ui := range st.u {
		if ui > 0 {
			st.f[i] += st.eps * math.Log(ui)
			st.u[i] = 1
		}
	}
	if st.sym {
		return
	}
	for j, vj := range st.v {
		if vj > 0 {
			st.g[j] += st.eps * math.Log(vj)
			st.v[j] = 1
		}
	}
}

// maybeAbsorb absorbs the scalings and rebuilds the kernel when a scaling
// leaves [1/absorbLimit, absorbLimit].
func (st *sinkState) maybeAbsorb() {
	out := func(x []float64) bool {
		for _, v := range x {
			if v > absorbLimit || (v > 0 && v < 1/absorbLimit) {
				return true
			}
		}
		return false
	}
	if out(st.u) || (!st.sym && out(st.v)) {
		st.absorb()
		st.pool.run(st.expFn)
		if !st.sym {
			st.colErr = 0
			for j, s := range st.reduceCols() {
				st.colErr += math.Abs(st.v[j]*s - st.b[j])
			}
		}
	}
}

// iterate runs one Sinkhorn iteration and returns the L1 marginal error of
// the plan before it. If that error is at most tol, the plan is kept (the
// sweep's new u is dropped) and iterate reports convergence. In the
// symmetric case the error is that of the rows and the update is always
// done.
func (st *sinkState) iterate(tol float64) (float64, bool) {
	if st.sym {
		st.pool.run(st.symFn)
		errL1 := st.sumErr()
		st.updateSym()
		return errL1, errL1 <= tol
	}
	st.pool.run(st.sweepFn)
	errL1 := st.sumErr() + st.colErr
	dirty := false
	for _, d := range st.dirty {
		dirty = dirty || d
	}
	if errL1 <= tol && !dirty {
		return errL1, true
	}
	st.u, st.un = st.un, st.u
	st.updateV()
	return errL1, false
}

func (st *sinkState) sumErr() float64 {
	s := 0.0
	for _, e := range st.werr {
		s += e
	}
	return s
}

// sweep is one fused pass over the rows of the worker's block: the row
// sums (K v)_i give the marginal error and the new u_i, and the row is
// added, scaled by u_i, into the worker's column accumulator (K^T u).
func (st *sinkState) sweep(w int) {
	lo, hi := st.ranges[w], st.ranges[w+1]
	m := st.m
	acc := st.acc[w]
	clear(acc)
	errL1 := 0.0
	dirty := false
	om := st.omega
	for i := lo; i < hi; i++ {
		row := st.K[i*m : (i+1)*m]
		s := floats.Dot(row, st.v)
		ai, ui := st.a[i], st.u[i]
		errL1 += math.Abs(ui*s - ai)
		if ai == 0 {
			st.un[i] = 0
			continue
		}
		r := ai / s
		if !(r <= math.MaxFloat64) { // s underflowed to 0
			st.rowFallback(i)
			r = 1
			dirty = true
		} else if om != 1 {
			r = ui * math.Pow(r/ui, om)
		}
		st.un[i] = r
		floats.AddScaled(acc, r, row)
	}
	st.werr[w] = errL1
	st.dirty[w] = dirty
}

// colSums adds the worker's rows, scaled by u, into its accumulator.
func (st *sinkState) colSums(w int) {
	lo, hi := st.ranges[w], st.ranges[w+1]
	m := st.m
	acc := st.acc[w]
	clear(acc)
	for i := lo; i < hi; i++ {
		if ui := st.u[i]; ui != 0 {
			floats.AddScaled(acc, ui, st.K[i*m:(i+1)*m])
		}
	}
}

// reduceCols adds the column accumulators (in worker order) into the
// first and returns it.
func (st *sinkState) reduceCols() []float64 {
	col := st.acc[0]
	for w := 1; w < st.nw; w++ {
		floats.Add(col, st.acc[w])
	}
	return col
}

// updateV reduces the column accumulators and sets v = b / (K^T u)
// (over-relaxed: v^(1-w) (b / K^T u)^w), falling back to an exact
// log-domain update for columns whose sum underflowed; it records the
// column error of the new plan.
func (st *sinkState) updateV() {
	om := st.omega
	colErr := 0.0
	for j, s := range st.reduceCols() {
		bj := st.b[j]
		if bj == 0 {
			continue
		}
		vj := bj / s
		if !(vj <= math.MaxFloat64) {
			st.colFallback(j)
			st.v[j] = 1
			colErr = math.Inf(1) // the column was rebuilt: unknown
			continue
		}
		if om != 1 {
			vj = st.v[j] * math.Pow(vj/st.v[j], om)
		}
		st.v[j] = vj
		colErr += math.Abs(vj*s - bj)
	}
	st.colErr = colErr
}

// rowFallback updates f_i exactly in the log domain (max-shifted
// log-sum-exp) so that row i of the plan sums to a_i with u_i = 1, and
// rebuilds row i of K.
func (st *sinkState) rowFallback(i int) {
	m, inv := st.m, 1/st.eps
	Mi := st.M[i*m : (i+1)*m]
	mx := math.Inf(-1)
	for j, vj := range st.v {
		if vj > 0 {
			mx = math.Max(mx, (st.g[j]-Mi[j])*inv+math.Log(vj))
		}
	}
	s := 0.0
	for j, vj := range st.v {
		if vj > 0 {
			s += math.Exp((st.g[j]-Mi[j])*inv + math.Log(vj) - mx)
		}
	}
	st.f[i] = st.eps * (math.Log(st.a[i]) - mx - math.Log(s))
	row := st.K[i*m : (i+1)*m]
	for j := range row {
		row[j] = math.Exp((st.f[i] + st.g[j] - Mi[j]) * inv)
	}
}

// colFallback is rowFallback for column j.
func (st *sinkState) colFallback(j int) {
	m, inv := st.m, 1/st.eps
	mx := math.Inf(-1)
	for i, ui := range st.u {
		if ui > 0 {
			mx = math.Max(mx, (st.f[i]-st.M[i*m+j])*inv+math.Log(ui))
		}
	}
	s := 0.0
	for i, ui := range st.u {
		if ui > 0 {
			s += math.Exp((st.f[i]-st.M[i*m+j])*inv + math.Log(ui) - mx)
		}
	}
	st.g[j] = st.eps * (math.Log(st.b[j]) - mx - math.Log(s))
	for i := 0; i < st.n; i++ {
		st.K[i*m+j] = math.Exp((st.f[i] + st.g[j] - st.M[i*m+j]) * inv)
	}
}

// rowLSE is the exact log-domain row update for the worker's rows (v must
// be 0 or 1): with mx_i = max_{j: v_j > 0} (g_j - M_ij) it sets f_i =
// -mx_i, rebuilds the rows of K = exp((f_i + g_j - M_ij)/eps) (at most 1;
// 0 where v_j = 0) and sets u_i = a_i / (K v)_i, so that the rows of the
// plan sum to a; the rows, scaled by u_i, go into the worker's column
// accumulator.
func (st *sinkState) rowLSE(w int) {
	lo, hi := st.ranges[w], st.ranges[w+1]
	m, inv := st.m, 1/st.eps
	acc := st.acc[w]
	clear(acc)
	zeroV := false
	for _, vj := range st.v {
		zeroV = zeroV || vj == 0
	}
	g := st.g[:m]
	for i := lo; i < hi; i++ {
		row := st.K[i*m : (i+1)*m]
		Mi := st.M[i*m : (i+1)*m]
		Mi = Mi[:len(g)]
		mx := math.Inf(-1)
		if zeroV {
			for j, vj := range st.v {
				if vj > 0 {
					mx = math.Max(mx, g[j]-Mi[j])
				}
			}
		} else {
			for j, gj := range g {
				if t := gj - Mi[j]; t > mx {
					mx = t
				}
			}
		}
		s := expRow(row, g, Mi, -mx, inv)
		if zeroV {
			for j, vj := range st.v {
				if vj == 0 {
					row[j] = 0
				}
			}
			s = floats.Sum(row)
		}
		st.f[i] = -mx
		ai := st.a[i]
		if ai > 0 {
			st.u[i] = ai / s
			floats.AddScaled(acc, st.u[i], row)
		} else {
			st.u[i] = 0
		}
	}
}

// expKernel rebuilds K_ij = exp((f_i + g_j - M_ij)/eps) for the worker's
// rows and, unless symmetric, adds the rows of u_i K (u is 0 or 1 after an
// absorption) into the worker's column accumulator.
func (st *sinkState) expKernel(w int) {
	lo, hi := st.ranges[w], st.ranges[w+1]
	m, inv := st.m, 1/st.eps
	acc := st.acc[w]
	if !st.sym {
		clear(acc)
	}
	for i := lo; i < hi; i++ {
		row := st.K[i*m : (i+1)*m]
		Mi := st.M[i*m : (i+1)*m]
		expRow(row, st.g, Mi, st.f[i], inv)
		if !st.sym && st.u[i] != 0 {
			floats.Add(acc, row)
		}
	}
}

// symRows computes the row sums (K u)_i of the worker's rows and its part
// of the marginal error, for the symmetric problem.
func (st *sinkState) symRows(w int) {
	lo, hi := st.ranges[w], st.ranges[w+1]
	m := st.m
	errL1 := 0.0
	for i := lo; i < hi; i++ {
		s := floats.Dot(st.K[i*m:(i+1)*m], st.u)
		st.tmp[i] = s
		errL1 += math.Abs(st.u[i]*s - st.a[i])
	}
	st.werr[w] = errL1
}

// updateSym is the symmetric (averaged) update of GeomLoss,
// f <- (f + T(f))/2, that is u <- sqrt(u a / (K u)). If a row sum
// underflowed, the step is done exactly in the log domain instead.
func (st *sinkState) updateSym() {
	for i, s := range st.tmp {
		ai := st.a[i]
		if ai == 0 {
			continue
		}
		r := ai / s
		if !(r <= math.MaxFloat64) {
			st.symLogStep()
			return
		}
	}
	for i, s := range st.tmp {
		if ai := st.a[i]; ai > 0 {
			st.u[i] = math.Sqrt(st.u[i] * ai / s)
		}
	}
}

// symLogStep is the averaged symmetric update in the log domain, after
// absorbing u, followed by a kernel rebuild.
func (st *sinkState) symLogStep() {
	st.absorb()
	n, inv := st.n, 1/st.eps
	for i := 0; i < n; i++ {
		Mi := st.M[i*n : (i+1)*n]
		mx := math.Inf(-1)
		for j, fj := range st.f {
			if st.a[j] > 0 {
				mx = math.Max(mx, (fj-Mi[j])*inv)
			}
		}
		s := 0.0
		for j, fj := range st.f {
			if st.a[j] > 0 {
				s += math.Exp((fj-Mi[j])*inv - mx)
			}
		}
		st.tmp[i] = -st.eps * (mx + math.Log(s))
	}
	for i, t := range st.tmp {
		if ai := st.a[i]; ai > 0 {
			st.f[i] = 0.5 * (st.f[i] + t + st.eps*math.Log(ai))
		}
	}
	st.pool.run(st.expFn)
}

// marginalError returns the L1 errors of both marginals of the current
// plan diag(u) K diag(v), summed.
func (st *sinkState) marginalError() float64 {
	if st.sym {
		st.pool.run(st.symFn)
		return st.sumErr()
	}
	rowErr := 0.0
	m := st.m
	for i := 0; i < st.n; i++ {
		s := floats.Dot(st.K[i*m:(i+1)*m], st.v)
		rowErr += math.Abs(st.u[i]*s - st.a[i])
	}
	st.pool.run(st.colFn)
	col := st.acc[0]
	for w := 1; w < st.nw; w++ {
		floats.Add(col, st.acc[w])
	}
	colErr := 0.0
	for j, s := range col {
		colErr += math.Abs(st.v[j]*s - st.b[j])
	}
	return rowErr + colErr
}

// result assembles the GeomLoss-convention potentials, the costs and,
// when asked, the dense plan.
func (st *sinkState) result(wantPlan bool) *SinkhornResult {
	n, m, eps := st.n, st.m, st.eps
	res := &SinkhornResult{Log: Log{Iterations: st.iters, MarginalError: st.errL1}}
	res.F = make([]float64, n)
	for i := range res.F {
		if st.a[i] > 0 {
			res.F[i] = st.f[i] + eps*math.Log(st.u[i]/st.a[i])
		} else {
			res.F[i] = st.extension(i, true)
		}
	}
	if st.sym {
		res.G = res.F
	} else {
		res.G = make([]float64, m)
		for j := range res.G {
			if st.b[j] > 0 {
				res.G[j] = st.g[j] + eps*math.Log(st.v[j]/st.b[j])
			} else {
				res.G[j] = st.extension(j, false)
			}
		}
	}
	if wantPlan {
		res.Plan = mat.NewDense(n, m, nil)
	}
	// The cost <P, M> (and the plan), each worker its rows; the partial
	// sums are added in worker order.
	st.pool.run(func(w int) {
		cost := 0.0
		for i := st.ranges[w]; i < st.ranges[w+1]; i++ {
			ui := st.u[i]
			row := st.K[i*m : (i+1)*m]
			Mi := st.M[i*m : (i+1)*m]
			var prow []float64
			if wantPlan {
				prow = res.Plan.RawRowView(i)
			}
			if ui == 0 {
				continue
			}
			v := st.v[:len(row)]
			Mi = Mi[:len(row)]
			for j, k := range row {
				p := ui * k * v[j]
				cost += p * Mi[j]
				if prow != nil {
					prow[j] = p
				}
			}
		}
		st.werr[w] = cost
	})
	cost := st.sumErr()
	res.Cost = cost
	res.Dual = floats.Dot(st.a, res.F) + floats.Dot(st.b, res.G)
	return res
}

// extension returns the potential of a zero-weight point: for a row,
// -eps LSE_j((g_j - M_ij)/eps + log v_j); for a column, the same over i.
func (st *sinkState) extension(k int, row bool) float64 {
	m, inv := st.m, 1/st.eps
	var pot, sc []float64
	cost := func(l int) float64 { return st.M[k*m+l] }
	if row {
		pot, sc = st.g, st.v
	} else {
		pot, sc = st.f, st.u
		cost = func(l int) float64 { return st.M[l*m+k] }
	}
	mx := math.Inf(-1)
	for l, s := range sc {
		if s > 0 {
			mx = math.Max(mx, (pot[l]-cost(l))*inv+math.Log(s))
		}
	}
	sum := 0.0
	for l, s := range sc {
		if s > 0 {
			sum += math.Exp((pot[l]-cost(l))*inv + math.Log(s) - mx)
		}
	}
	return -st.eps * (mx + math.Log(sum))
}

// workerPool runs a function on a fixed set of goroutines, one call per
// worker index, without allocating per call.
type workerPool struct {
	n     int
	fn    func(int)
	start []chan struct{}
	done  chan struct{}
}

func newWorkerPool(n int) *workerPool {
	p := &workerPool{n: n}
	if n <= 1 {
		return p
	}
	p.start = make([]chan struct{}, n)
	p.done = make(chan struct{}, n)
	for w := 1; w < n; w++ {
		c := make(chan struct{}, 1)
		p.start[w] = c
		go func(w int) {
			for range c {
				p.fn(w)
				p.done <- struct{}{}
			}
		}(w)
	}
	return p
}

// run calls fn(w) for every worker w and waits for all of them.
func (p *workerPool) run(fn func(int)) {
	if p.n <= 1 {
		fn(0)
		return
	}
	p.fn = fn
	for w := 1; w < p.n; w++ {
		p.start[w] <- struct{}{}
	}
	fn(0)
	for w := 1; w < p.n; w++ {
		<-p.done
	}
}

func (p *workerPool) close() {
	for w := 1; w < p.n; w++ {
		close(p.start[w])
	}
}
