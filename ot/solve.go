package ot

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// SolveOptions configures Solve and SolveSample, the one entry point to
// the solvers in the spirit of POT 0.9's ot.solve and ot.solve_sample. A
// nil *SolveOptions means the defaults: exact OT, the method chosen by
// size and weights.
type SolveOptions struct {
	// Method is the solver; MethodAuto (the default) chooses, and the
	// result says what it chose (see Solve and SolveSample).
	Method Method
	// Reg is the entropic regularisation eps; 0 (the default) is exact
	// OT. The entropic methods (MethodSinkhorn, MethodOnline) need it.
	Reg float64
	// Reach, when positive, relaxes the marginals (unbalanced OT with
	// rho = Reach^P, see SinkhornOptions); entropic methods only.
	Reach float64
	// P is the exponent of the ground cost |x - y|^P of SolveSample
	// (default 2); Solve takes the cost matrix as given and uses P only
	// to convert Reach.
	P float64
	// Sinkhorn holds the further options of the entropic methods
	// (tolerance, norm, iterations, epsilon-scaling, precision, warm
	// starts InitF and InitG); its Reach and P are replaced by those
	// above and its Plan by Plan below.
	Sinkhorn *SinkhornOptions
	// Plan asks for the transport plan: Result.Plan (sparse) for the
	// exact methods, Result.PlanDense for MethodSinkhorn. The online
	// method never forms it, nor does the sliced one.
	Plan bool
	// Projections and Seed configure MethodSliced (default 50
	// projections).
	Projections int
	Seed        uint64
	// Workers is the number of goroutines; 0 means runtime.GOMAXPROCS(0).
	Workers int
}

// SolveResult is what Solve and SolveSample return, whatever the method.
type SolveResult struct {
	// Method is the method that ran (the choice of MethodAuto).
	Method Method
	// Value is the optimal value of the problem solved: the transport
	// cost <P, C> (W_p^p for points) for the exact methods, the entropic
	// OT value (SinkhornResult.Dual: <P, C> + eps KL(P | a⊗b), and the
	// marginal penalties when unbalanced) for the entropic ones, and
	// SW_p^p, the mean over the projections of W_p^p, for MethodSliced.
	Value float64
	// ValueLinear is <P, C> of the plan (POT's value_linear): Value for
	// the exact methods, SinkhornResult.Cost for the entropic ones, 0 for
	// the sliced method.
	ValueLinear float64
	// Plan is the sparse plan of the exact methods when asked for;
	// PlanDense the dense plan of MethodSinkhorn when asked for.
	Plan      *Plan
	PlanDense *mat.Dense
	// F and G are the dual potentials: EMD's U and V for the exact methods
	// (not for Method1D), SinkhornResult's F and G for the entropic ones;
	// nil for the sliced method.
	F, G []float64
	// Converged is false when an iterative method stopped before its
	// tolerance (the error then wraps ErrNotConverged).
	Converged bool
	// Iterations, MarginalError and Errors report the run: the iterations
	// (pivots, augmentations, Sinkhorn iterations), the final marginal
	// error and, for the entropic methods, its history.
	Iterations    int
	MarginalError float64
	Errors        []float64
}

// autoOnlineEntries is the size n·m from which MethodAuto solves entropic
// problems between points online rather than on a stored cost matrix
// (256 MB of float64).
const autoOnlineEntries = 1 << 25

// Solve solves the optimal transport problem between the weights a
// (length n) and b (length m, nil: uniform) with the n×m cost matrix M.
// MethodAuto runs MethodSinkhorn when Reg or Reach is set, otherwise
// MethodAssignment for uniform weights of equal sizes and MethodExact
// else. MethodExact, MethodSimplex and MethodAssignment are exact (EMD);
// MethodOnline, Method1D and MethodSliced need points (SolveSample). Bad
// input is an error wrapping ErrInput (as the solvers report it); an
// entropic run that stops early returns its result with Converged false
// and an error wrapping ErrNotConverged.
func Solve(a, b []float64, M *mat.Dense, opts *SolveOptions) (*SolveResult, error) {
	o, err := solveDefaults(opts)
	if err != nil {
		return nil, err
	}
	if M == nil || M.IsEmpty() {
		return nil, inputErrorf("solve: empty cost matrix")
	}
	n, m := M.Dims()
	method, err := methodIn("solve", o.Method, MethodAuto, MethodExact, MethodSimplex, MethodAssignment, MethodSinkhorn)
	if err != nil {
		return nil, err
	}
	if method == MethodAuto {
		switch {
		case o.Reg > 0 || o.Reach > 0:
			method = MethodSinkhorn
		case n == m && uniformWeights(a) && uniformWeights(b):
			method = MethodAssignment
		default:
			method = MethodExact
		}
	}
	if method == MethodSinkhorn {
		so, err := o.sinkhorn()
		if err != nil {
			return nil, err
		}
		res, err := Sinkhorn(a, b, M, o.Reg, so)
		return entropicResult(method, res, err)
	}
	if err := o.exactOnly(method); err != nil {
		return nil, err
	}
	return solveExact(method, a, b, M, nil, nil, &o)
}

// SolveSample solves the optimal transport problem between the point
// clouds X (n×d) and Y (m×d) with weights a and b (nil: uniform) for the
// cost |x - y|^P. MethodAuto chooses by size and weights: with Reg or
// Reach, MethodSinkhorn up to 2^25 pairs (a stored cost matrix of
// 256 MB) and MethodOnline beyond; without, Method1D for d = 1,
// MethodAssignment for uniform weights of equal sizes and MethodExact
// else. The exact methods compute the costs with float32 products from
// dimension Float32MinDim on (Cost32) and the value in float64 from the
// plan; MethodOnline takes the points in float32 (Points32FromDense);
// MethodSliced returns SW_p^p over Projections random directions. Errors
// are those of Solve.
func SolveSample(X, Y *mat.Dense, a, b []float64, opts *SolveOptions) (*SolveResult, error) {
	o, err := solveDefaults(opts)
	if err != nil {
		return nil, err
	}
	if err := checkPoints(X, Y, o.P); err != nil {
		return nil, fmt.Errorf("solve: %w", err)
	}
	n, d := X.Dims()
	m, _ := Y.Dims()
	method, err := methodIn("solve", o.Method, Methods()...)
	if err != nil {
		return nil, err
	}
	if method == MethodAuto {
		switch {
		case o.Reg > 0 || o.Reach > 0:
			method = MethodSinkhorn
			if n*m >= autoOnlineEntries {
				method = MethodOnline
			}
		case d == 1:
			method = Method1D
		case n == m && uniformWeights(a) && uniformWeights(b):
			method = MethodAssignment
		default:
			method = MethodExact
		}
	}
	switch method {
	case MethodSinkhorn, MethodOnline:
		so, err := o.sinkhorn()
		if err != nil {
			return nil, err
		}
		var res *SinkhornResult
		if method == MethodOnline {
			so.Plan = false
			res, err = SinkhornOnline(Points32FromDense(X), Points32FromDense(Y), a, b, o.Reg, so)
		} else {
			C, cerr := Cost(X, Y, o.P)
			if cerr != nil {
				return nil, fmt.Errorf("solve: %w", cerr)
			}
			res, err = Sinkhorn(a, b, C, o.Reg, so)
		}
		return entropicResult(method, res, err)
	}
	if err := o.exactOnly(method); err != nil {
		return nil, err
	}
	switch method {
	case Method1D:
		return solve1D(X, Y, a, b, &o)
	case MethodSliced:
		sw, err := SlicedWasserstein(X, Y, a, b, o.Projections, o.P, o.Seed)
		if err != nil {
			return nil, err
		}
		return &SolveResult{Method: method, Value: math.Pow(sw, o.P), Converged: true}, nil
	}
	var C *mat.Dense
	if d >= Float32MinDim {
		C, err = Cost32(X, Y, o.P)
	} else {
		C, err = Cost(X, Y, o.P)
	}
	if err != nil {
		return nil, fmt.Errorf("solve: %w", err)
	}
	return solveExact(method, a, b, C, X, Y, &o)
}

// solveDefaults validates and completes the options.
func solveDefaults(opts *SolveOptions) (SolveOptions, error) {
	var o SolveOptions
	if opts != nil {
		o = *opts
	}
	if o.P == 0 {
		o.P = 2
	}
	if math.IsNaN(o.P) || math.IsInf(o.P, 0) || o.P <= 0 {
		return o, inputErrorf("solve: P = %v, want a finite positive number", o.P)
	}
	if math.IsNaN(o.Reg) || math.IsInf(o.Reg, 0) || o.Reg < 0 {
		return o, inputErrorf("solve: Reg = %v, want a finite eps >= 0 (0: exact OT)", o.Reg)
	}
	if math.IsNaN(o.Reach) || math.IsInf(o.Reach, 0) || o.Reach < 0 {
		return o, inputErrorf("solve: Reach = %v, want a finite number >= 0 (0: balanced)", o.Reach)
	}
	if o.Projections == 0 {
		o.Projections = 50
	}
	if o.Projections < 0 {
		return o, inputErrorf("solve: Projections = %d, want positive", o.Projections)
	}
	return o, nil
}

// sinkhorn returns the options of the entropic solvers.
func (o *SolveOptions) sinkhorn() (*SinkhornOptions, error) {
	if !(o.Reg > 0) {
		return nil, inputErrorf("solve: the entropic methods need Reg > 0")
	}
	var so SinkhornOptions
	if o.Sinkhorn != nil {
		so = *o.Sinkhorn
	}
	so.Reach, so.P, so.Plan = o.Reach, o.P, o.Plan
	if so.Workers == 0 {
		so.Workers = o.Workers
	}
	return &so, nil
}

// exactOnly rejects the entropic settings for an exact method.
func (o *SolveOptions) exactOnly(method Method) error {
	if o.Reg != 0 || o.Reach != 0 {
		return inputErrorf("solve: method %q is exact: Reg and Reach need an entropic method (sinkhorn or online)", string(method))
	}
	return nil
}

// uniformWeights reports whether w is nil or constant.
func uniformWeights(w []float64) bool {
	return w == nil || len(w) > 0 && isConstant(w)
}

// entropicResult wraps the result of an entropic solver.
func entropicResult(method Method, res *SinkhornResult, err error) (*SolveResult, error) {
	if res == nil {
		return nil, err
	}
	return &SolveResult{
		Method:        method,
		Value:         res.Dual,
		ValueLinear:   res.Cost,
		PlanDense:     res.Plan,
		F:             res.F,
		G:             res.G,
		Converged:     err == nil,
		Iterations:    res.Log.Iterations,
		MarginalError: res.Log.MarginalError,
		Errors:        res.Log.Errors,
	}, err
}

// solveExact runs EMD on the cost matrix C (float32 products when X, Y
// are given and large, in which case the value is recomputed in float64
// from the plan).
func solveExact(method Method, a, b []float64, C, X, Y *mat.Dense, o *SolveOptions) (*SolveResult, error) {
	if method == MethodAssignment {
		n, m := C.Dims()
		if n != m || !uniformWeights(a) || !uniformWeights(b) {
			return nil, inputErrorf("solve: method assignment needs uniform weights and as many sources as targets (%d and %d)", n, m)
		}
	}
	res, err := EMD(a, b, C, &EMDOptions{ForceSimplex: method == MethodSimplex})
	if res == nil {
		return nil, err
	}
	out := &SolveResult{
		Method:        method,
		Value:         res.Cost,
		F:             res.U,
		G:             res.V,
		Converged:     err == nil,
		Iterations:    res.Log.Iterations,
		MarginalError: res.Log.MarginalError,
	}
	if X != nil {
		_, d := X.Dims()
		if d >= Float32MinDim {
			out.Value = 0
			for _, e := range res.Plan.Entries {
				out.Value += e.W * pairCost(X.RawRowView(e.I)[:d], Y.RawRowView(e.J)[:d], o.P)
			}
		}
	}
	out.ValueLinear = out.Value
	if o.Plan {
		out.Plan = &res.Plan
	}
	if err != nil && !errors.Is(err, ErrNotConverged) {
		return nil, err
	}
	return out, err
}

// pairCost is |x - y|^p in float64.
func pairCost(x, y []float64, p float64) float64 {
	d2 := 0.0
	for k, v := range x {
		t := v - y[k]
		d2 += t * t
	}
	switch p {
	case 2:
		return d2
	case 1:
		return math.Sqrt(d2)
	}
	return math.Pow(d2, p/2)
}

// solve1D solves a one-dimensional problem exactly by sorting.
func solve1D(X, Y *mat.Dense, a, b []float64, o *SolveOptions) (*SolveResult, error) {
	n, d := X.Dims()
	if d != 1 {
		return nil, inputErrorf("solve: method 1d needs one-dimensional points, got dimension %d", d)
	}
	m, _ := Y.Dims()
	x, y := make([]float64, n), make([]float64, m)
	for i := range x {
		x[i] = X.At(i, 0)
	}
	for j := range y {
		y[j] = Y.At(j, 0)
	}
	pl, err := Plan1D(x, y, a, b)
	if err != nil {
		return nil, fmt.Errorf("solve: %w", err)
	}
	out := &SolveResult{Method: Method1D, Converged: true}
	for _, e := range pl.Entries {
		out.Value += e.W * powAbs(x[e.I]-y[e.J], o.P)
	}
	out.ValueLinear = out.Value
	if o.Plan {
		out.Plan = &pl
	}
	return out, nil
}
