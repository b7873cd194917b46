package ot

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// EMDOptions configures EMD. A nil *EMDOptions means the defaults.
type EMDOptions struct {
	// MaxIter bounds the number of network simplex pivots; 0 means
	// 10·n·m + 10⁶, which is never reached in practice. (POT's default of
	// 100000 stops early from n ≈ 1000 on.)
	MaxIter int
	// ForceSimplex disables the assignment solver for uniform weights with
	// n == m and always runs the network simplex.
	ForceSimplex bool
}

// EMDResult is the solution of an exact optimal transport problem.
type EMDResult struct {
	// Plan is the optimal transport plan, sparse, with at most n+m-1
	// non-zeros sorted by I then J.
	Plan Plan
	// Cost is sum_ij P_ij M_ij.
	Cost float64
	// U and V are optimal dual potentials: U[i]+V[j] <= M[i,j] for all
	// i, j (up to rounding), with equality on the support of the plan, and
	// sum_i a_i U_i + sum_j b_j V_j = Cost. They are defined up to a
	// constant added to U and subtracted from V; EMD centres them so that
	// sum_i a_i U_i = sum_j b_j V_j = Cost/2.
	U, V []float64
	// Log reports the number of pivots (network simplex) or augmentations
	// (assignment) and the L1 marginal error of the plan.
	Log Log
}

// EMD solves the exact (earth mover's) optimal transport problem
//
//	min_P sum_ij P_ij M_ij  subject to  P 1 = a,  Pᵀ 1 = b,  P >= 0
//
// between the weights a (length n) and b (length m) with the n×m cost matrix
// M, like POT's ot.emd. A nil a or b means uniform weights 1/n or 1/m. The
// sums of a and b must agree within MassTolerance (relative); b is then
// rescaled to the sum of a.
//
// When a and b are uniform and n == m (the minibatch case), the optimal plan
// is a permutation scaled by 1/n and EMD runs the assignment solver (see
// Assignment: sparse-candidate shortest augmenting paths checked against the
// full matrix, falling back to the network simplex with unit supplies when
// the candidates do not fit the problem), unless opts.ForceSimplex is set.
// Both are exact; the choice only affects speed, and Log.Iterations tells
// them apart (n for the assignment, the number of pivots for the simplex
// run by EMD itself). Otherwise EMD runs
// the network simplex on the complete bipartite graph, as in N. Bonneel,
// M. van de Panne, S. Paris, W. Heidrich, "Displacement interpolation using
// Lagrangian mass transport" (ACM TOG 30(6), 2011), the algorithm behind
// POT's ot.emd: a spanning-tree basis with an artificial root, block search
// pivoting and float64 flows and potentials. Points of zero weight are left
// out of the network (and get feasible potentials afterwards).
//
// The error wraps ErrInput for bad input (negative, NaN or infinite weights or
// costs, empty input, M not n×m, sums that differ). If MaxIter pivots are
// reached, EMD returns the current feasible plan together with an error
// wrapping ErrNotConverged.
func EMD(a, b []float64, M *mat.Dense, opts *EMDOptions) (*EMDResult, error) {
	a, b, err := problemWeights("emd", a, b, M)
	if err != nil {
		return nil, err
	}
	n, m := M.Dims()
	raw := M.RawMatrix()
	if err := checkCosts(n, m, raw.Stride, raw.Data); err != nil {
		return nil, fmt.Errorf("emd: %w", err)
	}
	var o EMDOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxIter < 0 {
		return nil, inputErrorf("emd: MaxIter = %d is negative", o.MaxIter)
	}
	if o.MaxIter == 0 {
		o.MaxIter = 10*n*m + 1_000_000
	}
	if n == m && !o.ForceSimplex && isConstant(a) && isConstant(b) {
		return emdAssignment(a, b, n, raw.Stride, raw.Data), nil
	}
	res, err := networkSimplex(a, b, n, m, raw.Stride, raw.Data, o.MaxIter)
	if res != nil {
		res.Log.MarginalError = marginalError(&res.Plan, a, b)
	}
	return res, err
}

// EMD2 returns the optimal transport cost of EMD(a, b, M, nil), like POT's
// ot.emd2.
func EMD2(a, b []float64, M *mat.Dense) (float64, error) {
	res, err := EMD(a, b, M, nil)
	if err != nil {
		return 0, err
	}
	return res.Cost, nil
}

// isConstant reports whether all entries of w are equal.
func isConstant(w []float64) bool {
	for _, v := range w[1:] {
		if v != w[0] {
			return false
		}
	}
	return true
}

// emdWorkspaces recycles the assignment workspaces of EMD between calls
// (and goroutines): the buffers, not the results, which are copied out.
var emdWorkspaces sync.Pool

// emdAssignment solves a uniform n×n problem with the assignment solver.
func emdAssignment(a, b []float64, n, stride int, c []float64) *EMDResult {
	ws, _ := emdWorkspaces.Get().(*AssignmentWorkspace)
	if ws == nil {
		ws = new(AssignmentWorkspace)
	}
	defer emdWorkspaces.Put(ws)
	as := ws.solve(n, stride, c)
	w := a[0]
	entries := make([]Entry, n)
	for i, j := range as.Perm {
		entries[i] = Entry{I: i, J: j, W: w}
	}
	res := &EMDResult{
		Plan: Plan{N: n, M: n, Entries: entries},
		Cost: w * as.Cost,
		U:    slices.Clone(as.U),
		V:    slices.Clone(as.V),
		Log:  Log{Iterations: n},
	}
	// Centre the potentials like the network simplex's: sum U = sum V.
	sumU, sumV := 0.0, 0.0
	for i := range res.U {
		sumU += res.U[i]
		sumV += res.V[i]
	}
	shift := (sumU - sumV) / (2 * float64(n))
	for i := range res.U {
		res.U[i] -= shift
		res.V[i] += shift
	}
	res.Log.MarginalError = marginalError(&res.Plan, a, b)
	return res
}

// marginalError returns the L1 distance between the marginals of p and (a, b).
func marginalError(p *Plan, a, b []float64) float64 {
	ra := make([]float64, len(a))
	rb := make([]float64, len(b))
	for _, e := range p.Entries {
		ra[e.I] += e.W
		rb[e.J] += e.W
	}
	s := 0.0
	for i, v := range a {
		s += math.Abs(ra[i] - v)
	}
	for j, v := range b {
		s += math.Abs(rb[j] - v)
	}
	return s
}
