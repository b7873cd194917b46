package ot

import (
	"math"
	"slices"
)

// The sparse-candidate assignment solver: an exact solver for the dense
// problem that runs the shortest augmenting path method on a small candidate
// subgraph and repairs it against the full matrix.
//
// Candidates: for every row its sparseRowK cheapest columns (ties spread by
// starting each row's scan at a different column) and for every column its
// sparseColK cheapest rows, so that every row and column has arcs. The
// solver keeps column prices v and a matching with the invariant of the
// Jonker–Volgenant method restricted to the candidate arcs E: every matched
// row i is matched to a column minimising c[i,j] - v[j] over its arcs. Column
// reduction (over the full matrix), reduction transfer and augmenting row
// reduction start it; each free row is then matched by a Dijkstra search
// with a binary heap over E. At the end the whole matrix is checked: with
// u[i] = c[i,x[i]] - v[x[i]], a row with entries of reduced cost
// c[i,j] - u[i] - v[j] < -tol gets the arcs of the (at most K) most negative
// ones added to E and is freed; the prices stay valid for the other rows
// because E only grows. The loop stops when the full matrix is dual feasible, which
// makes the matching optimal (complementary slackness); it must stop
// because E grows in every round and is finally the complete graph. If a
// Dijkstra search finds no free column (E has no perfect matching through
// that row), the row gets arcs to its K cheapest new columns (in reduced
// cost) and the search is repeated. After sparseMaxRounds rounds, or when
// searches failed more than n/sparseMaxFailDiv times (the candidates miss
// the structure of the problem), the solver gives up and the caller runs
// the network simplex.

// sparseK returns the number of candidate columns per row and of candidate
// rows per column for size n (tuned on Gaussian clouds in 2 and 784
// dimensions).
func sparseK(n int) (int, int) {
	if n < 1500 {
		return min(16, n), min(6, n)
	}
	return 20, 8
}

const (
	sparseMaxRounds = 40
	// The solver gives up after more than n/sparseMaxFailDiv searches
	// found no free column: the candidates miss the structure of the
	// problem (transport between far-apart clusters).
	sparseMaxFailDiv = 32
	sparseMinN       = 64 // below this the dense solver is used
)

// arc is a candidate column j of a row with its cost c.
type arc struct {
	c float64
	j int32
}

// heapItem is an entry of the Dijkstra heap (lazy deletion).
type heapItem struct {
	d float64
	j int32
}

// sparseWork holds the buffers of the sparse solver.
type sparseWork struct {
	n                       int
	start, length, capacity []int32 // arcs of row i: pool[start:start+length]
	pool                    []arc
	rowIdx                  []int32   // n×K candidate columns of the rows
	rowVal                  []float64 // their costs (scratch, K)
	colIdx                  []int32   // n×Kc candidate rows of the columns
	colVal                  []float64 // their costs, ascending
	colThr                  []float64 // the largest of them, per column
	mark, settled, seen     []int32   // stamps, one per column
	stamp                   int32
	heap                    []heapItem
	scanned                 []int32
	add                     []arc
	fails                   int // searches that found no free column
}

func (s *sparseWork) resize(n int) {
	if s.n == n && s.start != nil {
		return
	}
	s.n = n
	K, Kc := sparseK(n)
	s.start, s.length, s.capacity = make([]int32, n), make([]int32, n), make([]int32, n)
	s.rowIdx = make([]int32, n*K)
	s.rowVal = make([]float64, K)
	s.colIdx = make([]int32, n*Kc)
	s.colVal = make([]float64, n*Kc)
	s.colThr = make([]float64, n)
	s.mark, s.settled, s.seen = make([]int32, n), make([]int32, n), make([]int32, n)
	s.stamp = 0
	s.scanned = make([]int32, 0, n)
}

// nextStamp returns a fresh stamp, clearing the stamp arrays on overflow.
func (s *sparseWork) nextStamp() int32 {
	if s.stamp == math.MaxInt32 {
		clear(s.mark)
		clear(s.settled)
		clear(s.seen)
		s.stamp = 0
	}
	s.stamp++
	return s.stamp
}

// arcs returns the candidate arcs of row i.
func (s *sparseWork) arcs(i int) []arc {
	st := s.start[i]
	return s.pool[st : st+s.length[i]]
}

// addArcs appends the arcs add to row i, moving the row to the end of the
// pool if it has no room.
func (s *sparseWork) addArcs(i int, add []arc) {
	st, l, cp := s.start[i], s.length[i], s.capacity[i]
	if int(l)+len(add) > int(cp) {
		ncp := 2 * (int(l) + len(add))
		ns := len(s.pool)
		s.pool = slices.Grow(s.pool, ncp)[:ns+ncp]
		copy(s.pool[ns:], s.pool[st:st+l])
		st = int32(ns)
		s.start[i], s.capacity[i] = st, int32(ncp)
	}
	copy(s.pool[st+l:], add)
	s.length[i] = l + int32(len(add))
}

// solveSparse runs the sparse-candidate solver on the n×n matrix c (row
// stride stride). It returns false if it gave up (the caller, solve, then
// runs the network simplex); otherwise x, y, u, v of w hold an optimal
// assignment and potentials.
func (w *AssignmentWorkspace) solveSparse(n, stride int, c []float64) bool {
	w.resize(n)
	s := &w.sparse
	s.resize(n)
	x, v := w.x, w.v
	free := w.free
	K, Kc := sparseK(n)
	s.fails = 0

	// One pass over the matrix: the K cheapest columns of every row (scan
	// started at a row-dependent column so that ties spread), the Kc
	// cheapest rows of every column (ascending, so colVal[j*Kc] is the
	// column minimum).
	colVal, colIdx, colThr := s.colVal, s.colIdx, s.colThr
	for j := range colVal {
		colVal[j] = math.Inf(1)
		colIdx[j] = -1
	}
	for j := range colThr {
		colThr[j] = math.Inf(1) // colVal[j*Kc+Kc-1], contiguous
	}
	rv := s.rowVal[:K]
	for i := 0; i < n; i++ {
		row := c[i*stride : i*stride+n]
		ri := s.rowIdx[i*K : (i+1)*K]
		for t := range rv {
			rv[t] = math.Inf(1)
		}
		thr := math.Inf(1)
		off := int((uint64(i) * 0x9E3779B97F4A7C15 >> 32) % uint64(n))
		for pass := 0; pass < 2; pass++ {
			lo, hi := off, n
			if pass == 1 {
				lo, hi = 0, off
			}
			seg, ct := row[lo:hi], colThr[lo:hi]
			ct = ct[:len(seg)]
			for jj, h := range seg {
				if h < thr {
					t := K - 1
					for t > 0 && rv[t-1] > h {
						rv[t], ri[t] = rv[t-1], ri[t-1]
						t--
					}
					rv[t], ri[t] = h, int32(lo+jj)
					thr = rv[K-1]
				}
				if h < ct[jj] {
					j := lo + jj
					cv := colVal[j*Kc : (j+1)*Kc]
					ci := colIdx[j*Kc : (j+1)*Kc]
					t := Kc - 1
					for t > 0 && cv[t-1] > h {
						cv[t], ci[t] = cv[t-1], ci[t-1]
						t--
					}
					cv[t], ci[t] = h, int32(i)
					ct[jj] = cv[Kc-1]
				}
			}
		}
	}

	// Arcs: the row candidates, then the column candidates not already
	// there. Count first (length holds the counts), then fill.
	for i := 0; i < n; i++ {
		s.length[i] = int32(K)
	}
	inRow := func(i, j int) bool {
		for _, jj := range s.rowIdx[i*K : (i+1)*K] {
			if int(jj) == j {
				return true
			}
		}
		return false
	}
	for j := 0; j < n; j++ {
		for _, i := range colIdx[j*Kc : (j+1)*Kc] {
			if !inRow(int(i), j) {
				s.length[i]++
			}
		}
	}
	total := 0
	for i := 0; i < n; i++ {
		l := s.length[i]
		s.start[i] = int32(total)
		s.capacity[i] = l + 4
		total += int(l) + 4
	}
	if cap(s.pool) < total {
		s.pool = make([]arc, total, total+total/2)
	}
	s.pool = s.pool[:total]
	for i := 0; i < n; i++ {
		st := s.start[i]
		for t, j := range s.rowIdx[i*K : (i+1)*K] {
			s.pool[int(st)+t] = arc{c: c[i*stride+int(j)], j: j}
		}
		s.length[i] = int32(K)
	}
	for j := 0; j < n; j++ {
		for _, i := range colIdx[j*Kc : (j+1)*Kc] {
			if !inRow(int(i), j) {
				s.pool[s.start[i]+s.length[i]] = arc{c: c[int(i)*stride+j], j: int32(j)}
				s.length[i]++
			}
		}
	}

	// Column reduction over the full matrix: v[j] = min_i c[i,j] makes
	// every reduced cost non-negative.
	// The column minima are the first column candidates; the reduction
	// transfer runs over the arcs.
	nf := w.reduceAndTransfer(n, func(j int) (float64, int) { return colVal[j*Kc], int(colIdx[j*Kc]) },
		func(i, j1 int) float64 {
			mn := math.Inf(1)
			for _, a := range s.arcs(i) {
				if int(a.j) != j1 {
					if r := a.c - v[a.j]; r < mn {
						mn = r
					}
				}
			}
			return mn
		})

	nf = w.sparseARR(n, nf)

	for round := 0; ; round++ {
		for f := 0; f < nf; f++ {
			if !w.sparseAugment(n, stride, c, free[f]) {
				return false
			}
		}
		if round >= sparseMaxRounds {
			return false
		}
		nf = w.sparseRepair(n, stride, c)
		if nf == 0 {
			break
		}
	}
	u := w.u
	for i := 0; i < n; i++ {
		j := x[i]
		u[i] = c[i*stride+j] - v[j]
	}
	return true
}

// sparseARR runs two passes of augmenting row reduction over the arcs on
// the nf free rows in w.free and returns the number left free.
func (w *AssignmentWorkspace) sparseARR(n, nf int) int {
	s := &w.sparse
	x, y, v, free := w.x, w.y, w.v, w.free
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
			umin, j1 := math.Inf(1), -1
			usub, j2 := math.Inf(1), -1
			for _, a := range s.arcs(i) {
				h := a.c - v[a.j]
				if h < usub {
					if h >= umin {
						usub, j2 = h, int(a.j)
					} else {
						usub, j2 = umin, j1
						umin, j1 = h, int(a.j)
					}
				}
			}
			if j2 < 0 { // a single arc: leave it to the augmentation
				free[nf] = i
				nf++
				continue
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
				default:
					free[nf] = i
					nf++
				}
				continue
			}
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

// sparseAugment matches the free row fr by a shortest augmenting path over
// the arcs (Dijkstra with a binary heap on reduced costs, stopped as soon as
// the cheapest free column seen is the nearest label), then updates the
// prices of the settled columns. If no free column is reachable, row fr
// gets new arcs and the search is repeated, unless this happened too often:
// then it returns false.
func (w *AssignmentWorkspace) sparseAugment(n, stride int, c []float64, fr int) bool {
	s := &w.sparse
	x, y, v, d, pred := w.x, w.y, w.v, w.d, w.pred
	for {
		st := s.nextStamp()
		seen, settled := s.seen, s.settled
		h := s.heap[:0]
		scanned := s.scanned[:0]
		push := func(dj float64, j int32) {
			h = append(h, heapItem{dj, j})
			k := len(h) - 1
			for k > 0 {
				p := (k - 1) / 2
				if h[p].d <= dj {
					break
				}
				h[k] = h[p]
				k = p
			}
			h[k] = heapItem{dj, j}
		}
		pop := func() heapItem {
			top := h[0]
			last := h[len(h)-1]
			h = h[:len(h)-1]
			m := len(h)
			k := 0
			for {
				l := 2*k + 1
				if l >= m {
					break
				}
				if r := l + 1; r < m && h[r].d < h[l].d {
					l = r
				}
				if h[l].d >= last.d {
					break
				}
				h[k] = h[l]
				k = l
			}
			if m > 0 {
				h[k] = last
			}
			return top
		}
		// bound is the smallest label of a free column seen (bj): no
		// label at or above it needs a heap entry.
		bound, bj := math.Inf(1), -1
		for _, a := range s.arcs(fr) {
			jj := a.j
			dj := a.c - v[jj]
			if dj >= bound || seen[jj] == st && dj >= d[jj] {
				continue
			}
			seen[jj] = st
			d[jj] = dj
			pred[jj] = fr
			if y[jj] < 0 {
				bound, bj = dj, int(jj)
				continue
			}
			push(dj, jj)
		}
		end := -1
		mu := 0.0
		for {
			if len(h) == 0 || h[0].d >= bound {
				if bj >= 0 {
					end, mu = bj, bound
					settled[bj] = st
					scanned = append(scanned, int32(bj))
				}
				break
			}
			it := pop()
			j := int(it.j)
			if settled[j] == st || it.d > d[j] {
				continue
			}
			settled[j] = st
			scanned = append(scanned, int32(j))
			i := y[j]
			base := it.d - (c[i*stride+j] - v[j])
			for _, a := range s.arcs(i) {
				jj := a.j
				nd := base + a.c - v[jj]
				if nd >= bound || seen[jj] == st && nd >= d[jj] {
					continue
				}
				if settled[jj] == st {
					continue
				}
				seen[jj] = st
				d[jj] = nd
				pred[jj] = i
				if y[jj] < 0 {
					bound, bj = nd, int(jj)
					continue
				}
				push(nd, jj)
			}
			if bound <= it.d { // a free column at the current distance
				end, mu = bj, bound
				settled[bj] = st
				scanned = append(scanned, int32(bj))
				break
			}
		}
		s.heap, s.scanned = h, scanned
		if end < 0 {
			if s.fails++; s.fails > n/sparseMaxFailDiv {
				return false
			}
			// No free column reachable: give row fr its cheapest arcs
			// (in reduced cost) to columns it has no arc to yet.
			add := s.cheapestNew(fr, c[fr*stride:fr*stride+n], v, math.Inf(1))
			s.addArcs(fr, add)
			continue
		}
		for _, j := range scanned {
			v[j] += d[j] - mu
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
		return true
	}
}

// sparseRepair checks the full matrix against the potentials u[i] =
// c[i,x[i]] - v[x[i]]. Every row with entries of negative reduced cost
// gets the most negative ones as arcs and is freed; it returns the number of freed
// rows (listed in w.free).
func (w *AssignmentWorkspace) sparseRepair(n, stride int, c []float64) int {
	s := &w.sparse
	x, y, v, free := w.x, w.y, w.v, w.free
	vmax := 0.0
	for _, vj := range v {
		vmax = math.Max(vmax, math.Abs(vj))
	}
	nf := 0
	for i := 0; i < n; i++ {
		row := c[i*stride : i*stride+n]
		ui := row[x[i]] - v[x[i]]
		tol := sparseTol * (vmax + math.Abs(ui))
		lim := ui - tol
		bad := false
		for j, h := range row {
			if h-v[j] < lim {
				bad = true
				break
			}
		}
		if !bad {
			continue
		}
		add := s.cheapestNew(i, row, v, lim)
		if len(add) == 0 {
			continue // rounding on an existing arc
		}
		s.addArcs(i, add)
		y[x[i]] = -1
		x[i] = -1
		free[nf] = i
		nf++
	}
	return nf
}

// cheapestNew returns (in s.add) the arcs of row i (costs row) to the at
// most K columns without an arc from i that have the smallest reduced costs
// row[j] - v[j], all below lim.
func (s *sparseWork) cheapestNew(i int, row, v []float64, lim float64) []arc {
	mk := s.nextStamp()
	for _, a := range s.arcs(i) {
		s.mark[a.j] = mk
	}
	K, _ := sparseK(s.n)
	add := s.add[:0]
	rv := s.rowVal[:0]
	thr := lim
	for j, hc := range row {
		r := hc - v[j]
		if r >= thr || s.mark[j] == mk {
			continue
		}
		if len(add) < K {
			add = append(add, arc{})
			rv = append(rv, 0)
		}
		t := len(add) - 1
		for t > 0 && rv[t-1] > r {
			rv[t], add[t] = rv[t-1], add[t-1]
			t--
		}
		rv[t], add[t] = r, arc{c: hc, j: int32(j)}
		if len(add) == K {
			thr = rv[K-1]
		}
	}
	s.add = add
	return add
}

// sparseTol is the relative tolerance of the final dual feasibility check.
const sparseTol = 1e-13
