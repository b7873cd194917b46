package ot

import (
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/floats"
)

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
	// l2 selects the L2 norm of the marginal errors (L1 otherwise).
	l2 bool
	// history holds the marginal error before every iteration.
	history []float64
	// warm marks a start from given potentials g (no epsilon-scaling).
	warm bool

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
	if !o.NoScaling && !st.warm {
		lo, hi := floats.Min(st.M), floats.Max(st.M)
		e0 := hi - lo
		schedule = schedule[:0]
		for e := e0; e > eps; e *= o.ScalingFactor {
			schedule = append(schedule, e)
		}
		schedule = append(schedule, eps)
	}
	st.l2 = o.Norm == NormL2
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
			st.history = append(st.history, errL1)
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
				st.colErr += st.errTerm(st.v[j]*s - st.b[j])
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
		errL1 := st.errTotal(st.sumErr())
		st.updateSym()
		return errL1, errL1 <= tol
	}
	st.pool.run(st.sweepFn)
	errL1 := st.errTotal(st.sumErr() + st.colErr)
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

// errTerm is the contribution of one marginal difference x to the error:
// |x| for the L1 norm, x² for L2 (whose total errTotal takes the root of).
func (st *sinkState) errTerm(x float64) float64 {
	if st.l2 {
		return x * x
	}
	return math.Abs(x)
}

// errTotal turns a sum of errTerm into the error.
func (st *sinkState) errTotal(s float64) float64 {
	if st.l2 {
		return math.Sqrt(s)
	}
	return s
}

func (st *sinkState) sumErr() float64 {
	s := 0.0
	for _, e := range st.werr {
		s += e
	}
	return s
}
