package ot

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// AssignmentResult is an optimal assignment of n rows to n columns.
type AssignmentResult struct {
	// Perm maps row i to column Perm[i]; it is a permutation of 0..n-1.
	Perm []int
	// Cost is the total cost sum_i M[i, Perm[i]].
	Cost float64
	// U and V are optimal dual potentials: U[i]+V[j] <= M[i,j] for all
	// i, j (up to rounding), with equality on the assignment, and
	// sum(U)+sum(V) = Cost.
	U, V []float64
}

// AssignmentWorkspace holds the buffers of AssignmentSlice so that repeated
// calls of the same size allocate nothing. The zero value is ready to use; a
// workspace must not be used by two goroutines at once.
type AssignmentWorkspace struct {
	n                              int
	x, y, pred, col, free, matches []int
	u, v, d                        []float64
	res                            AssignmentResult
	sparse                         sparseWork
	ones                           []float64
}

// resize makes the buffers hold n entries.
func (w *AssignmentWorkspace) resize(n int) {
	if w.n == n && w.x != nil {
		return
	}
	w.n = n
	ints := make([]int, 6*n)
	w.x, w.y, w.pred = ints[:n:n], ints[n:2*n:2*n], ints[2*n:3*n:3*n]
	w.col, w.free, w.matches = ints[3*n:4*n:4*n], ints[4*n:5*n:5*n], ints[5*n:]
	fl := make([]float64, 3*n)
	w.u, w.v, w.d = fl[:n:n], fl[n:2*n:2*n], fl[2*n:]
}

// Assignment solves the linear assignment problem for the square cost matrix
// M: it returns the permutation minimising sum_i M[i, Perm[i]], its cost and
// optimal dual potentials.
//
// The solver is the shortest augmenting path algorithm of Jonker and
// Volgenant (R. Jonker, A. Volgenant, "A shortest augmenting path algorithm
// for dense and sparse linear assignment problems", Computing 38, 1987):
// column reduction, reduction transfer and two passes of augmenting row
// reduction, then Dijkstra-like shortest augmenting paths with column
// potentials. It is exact in float64 arithmetic up to rounding, O(n³) in the
// worst case and much faster on typical dense problems.
//
// The error wraps ErrInput if M is nil, empty or not square, or holds a
// negative, NaN or infinite entry.
func Assignment(M *mat.Dense) (*AssignmentResult, error) {
	if M == nil || M.IsEmpty() {
		return nil, inputErrorf("assignment: empty cost matrix")
	}
	r, c := M.Dims()
	if r != c {
		return nil, inputErrorf("assignment: cost matrix is %dx%d, want square", r, c)
	}
	raw := M.RawMatrix()
	if err := checkCosts(r, c, raw.Stride, raw.Data); err != nil {
		return nil, err
	}
	var ws AssignmentWorkspace
	res := ws.solve(r, raw.Stride, raw.Data)
	return &res, nil
}

// AssignmentSlice is Assignment for the n×n cost matrix stored row-major in
// cost[:n*n]. It reuses the buffers of ws (a nil ws allocates a new one): the
// returned result and its slices belong to ws and are overwritten by the next
// call with the same workspace. With a workspace already used at size n it
// allocates nothing, which suits the minibatch estimators' inner loop.
func AssignmentSlice(n int, cost []float64, ws *AssignmentWorkspace) (*AssignmentResult, error) {
	if n <= 0 {
		return nil, inputErrorf("assignment: size n = %d, want positive", n)
	}
	if len(cost) < n*n {
		return nil, inputErrorf("assignment: cost has %d entries, want %d", len(cost), n*n)
	}
	if err := checkCosts(n, n, n, cost); err != nil {
		return nil, err
	}
	if ws == nil {
		ws = new(AssignmentWorkspace)
	}
	ws.res = ws.solve(n, n, cost)
	return &ws.res, nil
}

// checkCosts reports an error unless the r×c matrix stored with the given
// stride in data is finite and non-negative.
func checkCosts(r, c, stride int, data []float64) error {
	// Fast path: no sign bit is set and the sum is finite (a NaN or an
	// infinity makes it NaN or infinite); otherwise the exact scan decides
	// (-0 and huge finite costs are valid) and names the entry.
	var bits uint64
	sum := 0.0
	for i := 0; i < r; i++ {
		row := data[i*stride : i*stride+c]
		var s0, s1, s2, s3 float64
		var b0, b1 uint64
		j := 0
		for ; j+4 <= len(row); j += 4 {
			v0, v1, v2, v3 := row[j], row[j+1], row[j+2], row[j+3]
			s0 += v0
			s1 += v1
			s2 += v2
			s3 += v3
			b0 |= math.Float64bits(v0) | math.Float64bits(v2)
			b1 |= math.Float64bits(v1) | math.Float64bits(v3)
		}
		for ; j < len(row); j++ {
			s0 += row[j]
			b0 |= math.Float64bits(row[j])
		}
		sum += (s0 + s1) + (s2 + s3)
		bits |= b0 | b1
	}
	if bits>>63 == 0 && sum <= math.MaxFloat64 {
		return nil
	}
	for i := 0; i < r; i++ {
		for j, v := range data[i*stride : i*stride+c] {
			if !(v >= 0) || v > math.MaxFloat64 {
				return inputErrorf("cost M[%d,%d] = %v, want finite and non-negative", i, j, v)
			}
		}
	}
	return nil
}

// arrStepsPerRow bounds the work of one augmenting row reduction pass to
// arrStepsPerRow*n row scans; the rows left free go to the augmentation phase,
// which is exact on its own. It guards against long price wars with
// floating-point costs.
const arrStepsPerRow = 4

// assignSolver is one of the assignment solvers, for tests to force one.
type assignSolver int

const (
	assignAuto    assignSolver = iota // dense below sparseMinN rows, sparse from there
	assignDense                       // Jonker–Volgenant on the dense matrix
	assignSparse                      // sparse candidates, the network simplex if it gives up
	assignSimplex                     // the network simplex
)

// assignMode is the solver solve uses; tests change it.
var assignMode = assignAuto

// solve solves the assignment problem on the n×n matrix c (row stride
// stride) and returns the result backed by w's buffers.
//
// From sparseMinN rows on it runs the sparse-candidate solver (see
// solveSparse), which is exact and much faster than the dense one on
// squared distances in low and high dimension alike. When the candidates
// miss the structure of the problem (transport between far-apart clusters,
// as with the clipped colours of colour transfer) it gives up early and the
// network simplex solves the problem instead, with unit supplies so that
// its flows are exact integers.
func (w *AssignmentWorkspace) solve(n, stride int, c []float64) AssignmentResult {
	mode := assignMode
	if mode == assignAuto {
		mode = assignDense
		if n >= sparseMinN {
			mode = assignSparse
		}
	}
	if mode == assignSparse && w.solveSparse(n, stride, c) {
		total := 0.0
		for i, j := range w.x[:n] {
			total += c[i*stride+j]
		}
		return AssignmentResult{Perm: w.x, Cost: total, U: w.u, V: w.v}
	}
	if mode == assignSparse || mode == assignSimplex {
		return w.solveSimplex(n, stride, c)
	}
	return w.solveDense(n, stride, c)
}

// solveSimplex solves the assignment problem with the network simplex on
// unit supplies (integral, hence exact, flows) and returns the result
// backed by w's buffers.
func (w *AssignmentWorkspace) solveSimplex(n, stride int, c []float64) AssignmentResult {
	w.resize(n)
	if len(w.ones) != n {
		w.ones = make([]float64, n)
		for i := range w.ones {
			w.ones[i] = 1
		}
	}
	res, err := networkSimplex(w.ones, w.ones, n, n, stride, c, 10*n*n+1_000_000)
	if err != nil {
		return w.solveDense(n, stride, c)
	}
	x, y := w.x, w.y
	for i := range y {
		y[i] = -1
	}
	for _, e := range res.Plan.Entries {
		if e.W > 0.5 {
			x[e.I], y[e.J] = e.J, e.I
		}
	}
	for _, j := range y {
		if j < 0 { // cannot happen with integral flows; stay safe
			return w.solveDense(n, stride, c)
		}
	}
	copy(w.u, res.U)
	copy(w.v, res.V)
	total := 0.0
	for i, j := range x {
		total += c[i*stride+j]
	}
	return AssignmentResult{Perm: x, Cost: total, U: w.u, V: w.v}
}

// solveDense runs the Jonker–Volgenant algorithm on the n×n matrix c (row
// stride stride) and returns the result backed by w's buffers.
func (w *AssignmentWorkspace) solveDense(n, stride int, c []float64) AssignmentResult {
	w.resize(n)
	x, y, u, v := w.x, w.y, w.u, w.v
	if n == 1 {
		x[0], y[0], u[0], v[0] = 0, 0, 0, c[0]
		return AssignmentResult{Perm: x, Cost: c[0], U: u, V: v}
	}
	d, pred, col, free := w.d, w.pred, w.col, w.free

	nf := w.initDense(n, stride, c)

	// Augmentation: a shortest path from each free row to a free column
	// (Dijkstra on reduced costs), then a price update.
	for f := 0; f < nf; f++ {
		fr := free[f]
		row := c[fr*stride : fr*stride+n]
		for j := 0; j < n; j++ {
			d[j] = row[j] - v[j]
			pred[j] = fr
			col[j] = j
		}
		low, up, last, end := 0, 0, 0, -1
		min := 0.0
		for end < 0 {
			if up == low {
				last = low - 1
				min = d[col[up]]
				up++
				for k := up; k < n; k++ {
					j := col[k]
					h := d[j]
					if h <= min {
						if h < min {
							up = low
							min = h
						}
						col[k] = col[up]
						col[up] = j
						up++
					}
				}
				for k := low; k < up; k++ {
					if y[col[k]] < 0 {
						end = col[k]
						break
					}
				}
				if end >= 0 {
					break
				}
			}
			j1 := col[low]
			low++
			i := y[j1]
			ri := c[i*stride : i*stride+n]
			h := ri[j1] - v[j1] - min
			for k := up; k < n; k++ {
				j := col[k]
				v2 := ri[j] - v[j] - h
				if v2 < d[j] {
					pred[j] = i
					d[j] = v2
					if v2 <= min {
						if y[j] < 0 {
							end = j
							break
						}
						col[k] = col[up]
						col[up] = j
						up++
					}
				}
			}
		}
		for k := 0; k <= last; k++ {
			j1 := col[k]
			v[j1] += d[j1] - min
		}
		for {
			i := pred[end]
			y[end] = i
			j1 := end
			end = x[i]
			x[i] = j1
			if i == fr {
				break
			}
		}
	}

	total := 0.0
	for i := 0; i < n; i++ {
		j := x[i]
		h := c[i*stride+j]
		u[i] = h - v[j]
		total += h
	}
	return AssignmentResult{Perm: x, Cost: total, U: u, V: v}
}

// initDense runs the column reduction, reduction transfer and augmenting
// row reduction of the Jonker–Volgenant method on the full n×n matrix c; it
// returns the number of rows left free, listed in w.free.
func (w *AssignmentWorkspace) initDense(n, stride int, c []float64) int {
	x, y, v := w.x, w.y, w.v
	d, pred, free := w.d, w.pred, w.free
	// Column reduction: v[j] = min_i c[i,j], scanned row by row for cache
	// friendliness; pred holds the arg-min row of each column.
	copy(d, c[:n])
	for j := range pred {
		pred[j] = 0
	}
	for i := 1; i < n; i++ {
		row := c[i*stride : i*stride+n]
		for j, h := range row {
			if h < d[j] {
				d[j] = h
				pred[j] = i
			}
		}
	}
	nf := w.reduceAndTransfer(n, func(j int) (float64, int) { return d[j], pred[j] },
		func(i, j1 int) float64 {
			min := math.Inf(1)
			for j, h := range c[i*stride : i*stride+n] {
				if j != j1 {
					if r := h - v[j]; r < min {
						min = r
					}
				}
			}
			return min
		})

	// Augmenting row reduction, two passes.
	for pass := 0; pass < 2 && nf > 0; pass++ {
		k, prv := 0, nf
		nf = 0
		steps := 0
		for k < prv {
			if steps >= arrStepsPerRow*n {
				for ; k < prv; k++ {
					free[nf] = free[k]
					nf++
				}
				break
			}
			steps++
			i := free[k]
			k++
			row := c[i*stride : i*stride+n]
			umin, j1 := row[0]-v[0], 0
			usub, j2 := math.Inf(1), -1
			for j := 1; j < n; j++ {
				h := row[j] - v[j]
				if h < usub {
					if h >= umin {
						usub, j2 = h, j
					} else {
						usub, j2 = umin, j1
						umin, j1 = h, j
					}
				}
			}
			i0 := y[j1]
			if umin < usub {
				nv := v[j1] - (usub - umin)
				switch {
				case nv < v[j1]:
					v[j1] = nv
					x[i], y[j1] = j1, i
					if i0 >= 0 {
						x[i0] = -1
						k--
						free[k] = i0
					}
				case i0 < 0:
					x[i], y[j1] = j1, i
				default: // no representable improvement: leave to augmentation
					free[nf] = i
					nf++
				}
				continue
			}
			// Tie between the two smallest reduced costs.
			if i0 >= 0 {
				j1 = j2
				i0 = y[j2]
			}
			x[i], y[j1] = j1, i
			if i0 >= 0 {
				x[i0] = -1
				free[nf] = i0
				nf++
			}
		}
	}

	return nf
}

// reduceAndTransfer ends the column reduction and runs the reduction
// transfer of the Jonker–Volgenant method, dense or sparse: each column j
// goes to the row of its minimum (colMin returns the minimum, which becomes
// v[j], and its row), a row chosen by several columns keeps the one of
// smallest v; then every row assigned once moves its slack
// rowSlack(i, x[i]) = min over its other columns j of c[i,j] − v[j] (+Inf
// when it has none) to v[x[i]]. It returns the number of rows left free,
// listed in w.free.
func (w *AssignmentWorkspace) reduceAndTransfer(n int, colMin func(j int) (float64, int), rowSlack func(i, j1 int) float64) int {
	x, y, v, free, matches := w.x, w.y, w.v, w.free, w.matches
	for i := 0; i < n; i++ {
		x[i] = -1
		matches[i] = 0
	}
	for j := n - 1; j >= 0; j-- {
		var i int
		v[j], i = colMin(j)
		matches[i]++
		switch {
		case matches[i] == 1:
			x[i], y[j] = j, i
		case v[j] < v[x[i]]:
			j1 := x[i]
			x[i], y[j] = j, i
			y[j1] = -1
		default:
			y[j] = -1
		}
	}
	nf := 0
	for i := 0; i < n; i++ {
		switch matches[i] {
		case 0:
			free[nf] = i
			nf++
		case 1:
			j1 := x[i]
			if min := rowSlack(i, j1); !math.IsInf(min, 1) {
				v[j1] -= min
			}
		}
	}
	return nf
}
