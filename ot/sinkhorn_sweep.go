package ot

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

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
		errL1 += st.errTerm(ui*s - ai)
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
		colErr += st.errTerm(vj*s - bj)
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
		errL1 += st.errTerm(st.u[i]*s - st.a[i])
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

// marginalError returns the error of both marginals of the current plan
// diag(u) K diag(v): the L1 norm of the differences of both marginals to
// their targets, or the L2 norm of them all (SinkhornOptions.Norm).
func (st *sinkState) marginalError() float64 {
	if st.sym {
		st.pool.run(st.symFn)
		return st.errTotal(st.sumErr())
	}
	rowErr := 0.0
	m := st.m
	for i := 0; i < st.n; i++ {
		s := floats.Dot(st.K[i*m:(i+1)*m], st.v)
		rowErr += st.errTerm(st.u[i]*s - st.a[i])
	}
	st.pool.run(st.colFn)
	col := st.acc[0]
	for w := 1; w < st.nw; w++ {
		floats.Add(col, st.acc[w])
	}
	colErr := 0.0
	for j, s := range col {
		colErr += st.errTerm(st.v[j]*s - st.b[j])
	}
	return st.errTotal(rowErr + colErr)
}

// result assembles the GeomLoss-convention potentials, the costs and,
// when asked, the dense plan.
func (st *sinkState) result(wantPlan bool) *SinkhornResult {
	n, m, eps := st.n, st.m, st.eps
	res := &SinkhornResult{Log: Log{Iterations: st.iters, MarginalError: st.errL1, Errors: st.history}}
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
