package ot

import (
	"fmt"
	"runtime"
	"strings"
)

// Method names an optimal transport solver. It is one concept wherever a
// solver is chosen: Solve and SolveSample (SolveOptions.Method), the
// minibatch estimators (MinibatchOptions.Solver) and the packages built on
// them (colour.Options.Method). Its values are the lower-case names below,
// so a command-line flag converts with Method(s) and an unknown name is
// reported as an error wrapping ErrInput by the function that receives it
// (ParseMethod checks one up front). The empty Method means MethodAuto.
type Method string

// The solvers. Which functions accept which is said at each function.
const (
	// MethodAuto lets the function choose; Solve reports its choice in
	// SolveResult.Method. For the minibatch estimators it is MethodExact.
	MethodAuto Method = "auto"
	// MethodExact is exact optimal transport: EMD, which runs the
	// assignment solver for uniform weights of equal sizes (falling back
	// to the network simplex by itself on clustered data) and the network
	// simplex otherwise.
	MethodExact Method = "exact"
	// MethodSimplex is exact optimal transport by the network simplex
	// always (EMD with ForceSimplex).
	MethodSimplex Method = "simplex"
	// MethodAssignment is the assignment solver: exact, for uniform
	// weights and as many sources as targets only.
	MethodAssignment Method = "assignment"
	// MethodSinkhorn is entropic optimal transport on a dense cost matrix
	// (Sinkhorn), balanced or unbalanced.
	MethodSinkhorn Method = "sinkhorn"
	// MethodOnline is entropic optimal transport between point clouds
	// without a stored cost matrix (SinkhornOnline).
	MethodOnline Method = "online"
	// Method1D is exact optimal transport between one-dimensional points
	// by sorting (Wasserstein1D, Plan1D).
	Method1D Method = "1d"
	// MethodSliced is the sliced Wasserstein distance (SlicedWasserstein).
	MethodSliced Method = "sliced"
)

// Methods lists every Method, MethodAuto first.
func Methods() []Method {
	return []Method{MethodAuto, MethodExact, MethodSimplex, MethodAssignment, MethodSinkhorn, MethodOnline, Method1D, MethodSliced}
}

// ParseMethod returns the Method named s ("" is MethodAuto), or an error
// wrapping ErrInput that lists the names.
func ParseMethod(s string) (Method, error) {
	if s == "" {
		return MethodAuto, nil
	}
	for _, m := range Methods() {
		if string(m) == s {
			return m, nil
		}
	}
	return "", inputErrorf("unknown method %q (want %s)", s, methodList(Methods()))
}

// methodList joins the names of ms with commas and a final "or".
func methodList(ms []Method) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = string(m)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// methodIn returns m (MethodAuto for "") if it is one of ok, or an error
// naming the caller what and the accepted methods.
func methodIn(what string, m Method, ok ...Method) (Method, error) {
	if m == "" {
		m = MethodAuto
	}
	for _, o := range ok {
		if m == o {
			return m, nil
		}
	}
	return "", inputErrorf("%s: unknown or unsupported method %q (want %s)", what, string(m), methodList(ok))
}

// workerCount is the one meaning of a Workers option in package ot: the
// number asked for, or runtime.GOMAXPROCS(0) when it is 0 or negative.
func workerCount(w int) int {
	if w <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return w
}

// errorf wraps err with the name of the function that failed.
func errorf(what string, err error) error {
	return fmt.Errorf("%s: %w", what, err)
}
