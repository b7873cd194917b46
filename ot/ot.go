// Package ot is otgen's optimal-transport toolbox: cost matrices (float64,
// or float32 products through blas32 for image-sized points), exact earth
// mover's distance (network simplex and an assignment solver), log-domain
// Sinkhorn with epsilon-scaling and the debiased Sinkhorn divergence,
// balanced or unbalanced (KL-relaxed marginals), on a stored cost matrix or
// online between point clouds of any size (costs recomputed block by
// block, memory O((n + m) d)), 1-D and sliced Wasserstein distances, the
// minibatch Wasserstein estimators of Fatras et al. (AISTATS 2020) and
// barycentric maps. Solve and SolveSample are one entry point to all of
// them, as POT 0.9's ot.solve.
//
// The API follows POT: solvers take the source weights a, the target weights b
// and the cost matrix M (or two point clouds), then options, a nil pointer
// meaning the defaults; results carry the plan and/or the dual potentials and
// a Log with the iteration count and the marginal error.
//
// Files: ot.go (errors, weights), method.go (Method), cost.go and cost32.go
// (cost matrices), emd.go, simplex.go, assignment*.go (exact OT), sinkhorn.go
// (dense Sinkhorn API), sinkhorn_state.go and sinkhorn_sweep.go (its scaling
// algorithm), overrelax.go, pool.go, logsinkhorn.go (the log-domain engine of
// the unbalanced and online solvers), lse64.go and lse32.go (its float64 and
// float32 sources), kernels32*.go (the float32 kernels, with AVX-512 and AVX2
// assembly), online.go, points.go, divergence.go and divergence_online.go,
// solve.go (the facade), oned.go, sliced.go, minibatch*.go, barycentric.go.
//
// Package ot needs no cgo: gonum for linear algebra, otgen/sgemm (a leaf
// package of Go assembly) for its large float32 products, Go assembly for
// the float32 kernels of the online solver on amd64 (chosen at start-up
// with golang.org/x/sys/cpu, plain Go elsewhere), and nothing else of
// otgen. Bad input (negative or NaN weights or costs, empty inputs,
// mismatched sizes, weights whose sums differ) is reported as an error wrapping
// ErrInput; a solver that does not converge returns an error wrapping
// ErrNotConverged. No function panics on user input.
package ot

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// ErrInput is wrapped by every error caused by invalid input.
var ErrInput = errors.New("ot: invalid input")

// ErrNotConverged is wrapped by the errors of iterative solvers that stop
// before reaching their tolerance.
var ErrNotConverged = errors.New("ot: not converged")

// Entry is one non-zero of a sparse transport plan: mass W moved from source
// point I to target point J.
type Entry struct {
	I, J int
	W    float64
}

// Plan is a sparse transport plan between N source and M target points.
// Entries are sorted by I, then J, and hold only non-zero masses.
type Plan struct {
	N, M    int
	Entries []Entry
}

// Log reports how an iterative solver ended.
type Log struct {
	// Iterations is the number of iterations (pivots for the network
	// simplex, Sinkhorn updates for Sinkhorn) that were run.
	Iterations int
	// MarginalError is the L1 distance between the plan's marginals and the
	// prescribed weights when the solver stopped (for Sinkhorn, in the
	// norm of SinkhornOptions.Norm; for unbalanced problems, to the
	// marginals that the optimality conditions prescribe).
	MarginalError float64
	// Errors is the marginal error before each iteration of the
	// Sinkhorn solvers (nil for the exact ones), in the same norm.
	Errors []float64
}

// inputErrorf returns an error wrapping ErrInput.
func inputErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, args...))
}

// checkWeights reports an error unless w is a non-empty vector of finite,
// non-negative weights with a positive sum; it returns the sum.
func checkWeights(name string, w []float64) (float64, error) {
	if len(w) == 0 {
		return 0, inputErrorf("%s is empty", name)
	}
	sum := 0.0
	for i, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, inputErrorf("%s[%d] is %v", name, i, v)
		}
		if v < 0 {
			return 0, inputErrorf("%s[%d] = %v is negative", name, i, v)
		}
		sum += v
	}
	if sum <= 0 {
		return 0, inputErrorf("%s sums to %v, want a positive total", name, sum)
	}
	return sum, nil
}

// MassTolerance is the relative difference between the sums of a and b that
// the balanced solvers accept.
const MassTolerance = 1e-6

// checkBalanced checks both weight vectors and that their sums agree within
// MassTolerance (relative).
func checkBalanced(a, b []float64) error {
	sa, err := checkWeights("a", a)
	if err != nil {
		return err
	}
	sb, err := checkWeights("b", b)
	if err != nil {
		return err
	}
	if math.Abs(sa-sb) > MassTolerance*math.Max(sa, sb) {
		return inputErrorf("a sums to %v but b sums to %v", sa, sb)
	}
	return nil
}

// Uniform returns n weights equal to 1/n.
func Uniform(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / float64(n)
	}
	return w
}

// problemWeights checks the cost matrix of a balanced problem named name
// and its weights, returning uniform weights for nil ones.
func problemWeights(name string, a, b []float64, M *mat.Dense) ([]float64, []float64, error) {
	if M == nil || M.IsEmpty() {
		return nil, nil, inputErrorf("%s: empty cost matrix", name)
	}
	n, m := M.Dims()
	if a == nil {
		a = Uniform(n)
	}
	if b == nil {
		b = Uniform(m)
	}
	if len(a) != n || len(b) != m {
		return nil, nil, inputErrorf("%s: cost matrix is %dx%d but len(a) = %d, len(b) = %d", name, n, m, len(a), len(b))
	}
	if err := checkBalanced(a, b); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return a, b, nil
}
