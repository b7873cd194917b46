package ot

import (
	"fmt"
	"math"
)

// The log-domain Sinkhorn engine of the online and the unbalanced solvers.
// It keeps the dual potentials f, g themselves (GeomLoss's convention, the
// plan being P_ij = a_i b_j exp((f_i + g_j - C_ij)/eps)) and updates them by
// log-sum-exp reductions over the costs, which a source computes: from a
// stored matrix, or on the fly from two point clouds (never storing them).
//
// With KL-relaxed marginals of strength rho (unbalanced OT, Chizat, Peyré,
// Schmitzer, Vialard, "Scaling algorithms for unbalanced optimal transport
// problems", Math. Comp. 2018; Séjourné, Feydy, Vialard, Trouvé, Peyré,
// "Sinkhorn divergences for unbalanced optimal transport", 2019) the
// update is the balanced one damped by lambda = rho/(rho + eps):
//
//	f_i <- -lambda eps LSE_j (log b_j + (g_j - C_ij)/eps),
//
// and the marginals it drives to are a_i exp(-f_i/rho) instead of a_i.

// lseSource computes the log-sum-exp reductions of the engine.
type lseSource interface {
	// dims returns the number of rows (sources) and columns (targets).
	dims() (int, int)
	// lse sets out[i] = LSE_j (logw[j] + (pot[j] - C_ij)/eps) for every
	// row i (rows), or out[j] = LSE_i (logw[i] + (pot[i] - C_ij)/eps)
	// for every column j (!rows). logw may hold -Inf (zero weights); at
	// least one entry is finite.
	lse(out []float64, rows bool, pot, logw []float64, eps float64)
	// costRange returns an upper bound of max C - min C, from which the
	// epsilon schedule starts.
	costRange() float64
	// planCost returns <P, C> for the plan
	// P_ij = exp(la_i + lb_j + (f_i + g_j - C_ij)/eps).
	planCost(f, g, la, lb []float64, eps float64) float64
}

// logEngine is the state of one log-domain Sinkhorn problem.
type logEngine struct {
	src    lseSource
	n, m   int
	a, b   []float64 // weights (b rescaled to the mass of a if balanced)
	la, lb []float64 // their logarithms (-Inf for zero weights)
	f, g   []float64 // potentials; g aliases f when sym
	sym    bool
	rho    float64 // marginal penalty; +Inf when balanced
	l2     bool
	L, Lc  []float64 // log-sum-exp buffers of the rows and columns
	// colErr is the sum of the error terms of the columns of the plan
	// (f, g) after the last column update; colKnown says whether it
	// describes the current epsilon.
	colErr   float64
	colKnown bool
	iters    int
	history  []float64
	// stallBelow is the error below which a stall ends the run (the
	// float32 path's resolution); 0 disables it.
	stallBelow float64
	err        float64
	eps        float64
}

// newLogEngine sets up a problem between the weights a and b (b is
// rescaled to the mass of a when balanced) on src; sym marks the
// symmetric problem OT(a, a) (src then has the same rows and columns).
func newLogEngine(src lseSource, a, b []float64, sym bool, rho float64) *logEngine {
	n, m := src.dims()
	e := &logEngine{src: src, n: n, m: m, a: a, sym: sym, rho: rho}
	e.b = b
	if !sym && math.IsInf(rho, 1) {
		sa, sb := sum(a), sum(b)
		if sa != sb {
			e.b = make([]float64, m)
			for j, v := range b {
				e.b[j] = v * sa / sb
			}
		}
	}
	if _, ok := src.(*source32); ok {
		e.stallBelow = 1e-3 * sum(a)
	}
	e.la = logs(a)
	e.f = make([]float64, n)
	e.L = make([]float64, n)
	if sym {
		e.lb, e.g, e.Lc = e.la, e.f, e.L
	} else {
		e.lb = logs(e.b)
		e.g = make([]float64, m)
		e.Lc = make([]float64, m)
	}
	return e
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

// logs returns the logarithms of the weights (-Inf for zeros).
func logs(w []float64) []float64 {
	out := make([]float64, len(w))
	for i, v := range w {
		out[i] = math.Log(v)
	}
	return out
}

// lambda is the damping rho/(rho + eps) of the unbalanced update.
func (e *logEngine) lambda() float64 {
	if math.IsInf(e.rho, 1) {
		return 1
	}
	return e.rho / (e.rho + e.eps)
}

// term is the contribution of the marginal difference x to the error.
func (e *logEngine) term(x float64) float64 {
	if e.l2 {
		return x * x
	}
	return math.Abs(x)
}

func (e *logEngine) total(s float64) float64 {
	if e.l2 {
		return math.Sqrt(s)
	}
	return s
}

// target is the marginal that the optimality conditions prescribe to a
// point of weight w and potential pot: w when balanced, w exp(-pot/rho)
// when unbalanced.
func (e *logEngine) target(w, pot float64) float64 {
	if math.IsInf(e.rho, 1) {
		return w
	}
	return w * math.Exp(-pot/e.rho)
}

// rowStep computes the row log-sum-exps, the error of the current plan and,
// unless it is at most tol, updates f (over-relaxed by omega; averaged
// when sym). It returns the error and whether it converged.
func (e *logEngine) rowStep(omega, tol float64) (float64, bool) {
	eps := e.eps
	e.src.lse(e.L, true, e.g, e.lb, eps)
	rowErr := 0.0
	for i, ai := range e.a {
		if ai > 0 {
			r := ai * math.Exp(e.f[i]/eps+e.L[i])
			rowErr += e.term(r - e.target(ai, e.f[i]))
		}
	}
	errv := e.total(rowErr)
	if !e.sym {
		if e.colKnown {
			errv = e.total(rowErr + e.colErr)
			if errv <= tol {
				return errv, true
			}
		}
	} else if errv <= tol {
		return errv, true
	}
	lam := e.lambda()
	for i, ai := range e.a {
		fs := -lam * eps * e.L[i]
		switch {
		case ai == 0:
			e.f[i] = fs
		case e.sym:
			e.f[i] = 0.5 * (e.f[i] + fs)
		default:
			e.f[i] += omega * (fs - e.f[i])
		}
	}
	return errv, false
}

// colStep updates g from f (over-relaxed by omega) and records the column
// error of the new plan.
func (e *logEngine) colStep(omega float64) {
	eps := e.eps
	e.src.lse(e.Lc, false, e.f, e.la, eps)
	lam := e.lambda()
	colErr := 0.0
	for j, bj := range e.b {
		gs := -lam * eps * e.Lc[j]
		if bj == 0 {
			e.g[j] = gs
			continue
		}
		gn := e.g[j] + omega*(gs-e.g[j])
		c := bj * math.Exp(gn/eps+e.Lc[j])
		colErr += e.term(c - e.target(bj, gn))
		e.g[j] = gn
	}
	e.colErr, e.colKnown = colErr, true
}

// finalError returns the error of the current plan (f, g) by one more
// reduction over the rows.
func (e *logEngine) finalError() float64 {
	e.src.lse(e.L, true, e.g, e.lb, e.eps)
	rowErr := 0.0
	for i, ai := range e.a {
		if ai > 0 {
			rowErr += e.term(ai*math.Exp(e.f[i]/e.eps+e.L[i]) - e.target(ai, e.f[i]))
		}
	}
	if e.sym {
		return e.total(rowErr)
	}
	return e.total(rowErr + e.colErr)
}

// solve runs the epsilon schedule down to eps (just eps when warm, the
// potentials being given) with the stopping rule and limits of o.
func (e *logEngine) solve(eps float64, o *SinkhornOptions, warm bool) error {
	e.l2 = o.Norm == NormL2
	schedule := []float64{eps}
	if !o.NoScaling && !warm {
		schedule = schedule[:0]
		for ep := e.src.costRange(); ep > eps; ep *= o.ScalingFactor {
			schedule = append(schedule, ep)
		}
		schedule = append(schedule, eps)
	}
	overrelax := !e.sym && !o.NoOverrelax && math.IsInf(e.rho, 1)
	iters := 0
	errv := math.Inf(1)
	converged := false
	stalled := false
	for s, ep := range schedule {
		final := s == len(schedule)-1
		e.eps = ep
		e.colKnown = false
		limit := o.MaxIter - iters
		if !final && limit > o.StageIter {
			limit = o.StageIter
		}
		var sor sorControl
		omega := 1.0
		converged = false
		best, bestAt := math.Inf(1), 0
		for k := 0; k < limit; k++ {
			errv, converged = e.rowStep(omega, o.Tol)
			e.history = append(e.history, errv)
			iters++
			if converged {
				break
			}
			if !e.sym {
				e.colStep(omega)
				if final && overrelax {
					omega = sor.next(errv)
				}
			}
			// A stall of the float32 path at its resolution: no 1%
			// progress in stallIters iterations at the target epsilon,
			// with an error already small.
			if errv < 0.99*best {
				best, bestAt = errv, k
			} else if final && errv < e.stallBelow && k-bestAt >= stallIters {
				stalled = true
				break
			}
		}
		if iters >= o.MaxIter && !(final && converged) {
			break
		}
	}
	if !converged {
		errv = e.finalError()
	}
	e.iters, e.err = iters, errv
	if stalled && errv > o.Tol {
		return fmt.Errorf("%w: sinkhorn: marginal error %.3g > Tol %.3g stalled after %d iterations (the float32 path resolves about 1e-5 of the mass: use PrecisionFloat64 below)", ErrNotConverged, errv, o.Tol, iters)
	}
	if errv > o.Tol || math.IsNaN(errv) {
		return fmt.Errorf("%w: sinkhorn: marginal error %.3g > Tol %.3g after %d iterations", ErrNotConverged, errv, o.Tol, iters)
	}
	return nil
}

// stallIters is the number of iterations without a 1% decrease of the
// marginal error after which the engine gives up (float32 path).
const stallIters = 100

// dual returns the dual objective at the current potentials: <a, f> +
// <b, g> when balanced; with KL marginals of strength rho,
//
//	rho <a, 1 - exp(-f/rho)> + rho <b, 1 - exp(-g/rho)> - eps (m(P) - m(a) m(b)),
//
// the mass of the plan m(P) taken as the mean of <a, exp(-f/rho)> and
// <b, exp(-g/rho)>, which are equal at the optimum.
func (e *logEngine) dual() float64 {
	if math.IsInf(e.rho, 1) {
		s := 0.0
		for i, ai := range e.a {
			if ai > 0 {
				s += ai * e.f[i]
			}
		}
		for j, bj := range e.b {
			if bj > 0 {
				s += bj * e.g[j]
			}
		}
		return s
	}
	rho := e.rho
	ea, eb := 0.0, 0.0
	for i, ai := range e.a {
		ea += ai * math.Exp(-e.f[i]/rho)
	}
	for j, bj := range e.b {
		eb += bj * math.Exp(-e.g[j]/rho)
	}
	return rho*(sum(e.a)-ea) + rho*(sum(e.b)-eb) - e.eps*(0.5*(ea+eb)-sum(e.a)*sum(e.b))
}

// result assembles the SinkhornResult (potentials copied).
func (e *logEngine) result() *SinkhornResult {
	res := &SinkhornResult{
		F:    append([]float64(nil), e.f...),
		Dual: e.dual(),
		Log:  Log{Iterations: e.iters, MarginalError: e.err, Errors: e.history},
	}
	if e.sym {
		res.G = res.F
	} else {
		res.G = append([]float64(nil), e.g...)
	}
	res.Cost = e.src.planCost(e.f, e.g, e.la, e.lb, e.eps)
	return res
}
