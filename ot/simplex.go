package ot

import (
	"fmt"
	"math"
	"slices"
)

// The network simplex of EMD on the complete bipartite graph between the
// sources and targets of positive weight, with an artificial root node.
//
// The basis is a spanning tree stored with parent pointers and a preorder
// thread: for every node u, parent[u], the arc to it (pred[u], up[u] telling
// whether the arc goes from u to its parent), the flow on that arc, the
// subtree size succ[u] and the next node in preorder thread[u] (revThread
// is its inverse). Real arcs are numbered k*mt+l (source k, target l);
// artificial arcs, which only ever leave the basis, are numbered E+u. Node
// potentials pi give the reduced cost c(s,t) + pi[s] - pi[t] of an arc s→t.
//
// A pivot takes the most negative reduced cost in a block of about sqrt(E)
// arcs (block search, as in LEMON and POT), finds the cycle through the
// lowest common ancestor, pushes flow around it, chooses the leaving arc so
// that the tree stays strongly feasible (no cycling), and hangs the moved
// subtree, re-rooted, under the entering arc. Potentials of the moved subtree
// are recomputed from its new parents, so they never drift.
type simplex struct {
	ns, mt, nodes, root int
	E                   int
	stride              int
	cost                []float64 // ns×mt, row stride stride
	art                 float64   // cost of the artificial arcs
	eps                 float64   // reduced costs above -eps count as optimal

	parent, pred, thread, revThread, succ []int
	up                                    []bool
	flow, pi                              []float64

	// scratch, one entry per node
	order, pos, stem []int

	block        int
	nextK, nextL int
	in           int
}

// networkSimplex solves the balanced transport problem between a (n) and b
// (m), whose sums agree within MassTolerance, with the non-negative cost
// matrix c (row stride stride). It fills the plan, cost, potentials and
// iteration count; on hitting maxIter it returns the current plan with an
// error wrapping ErrNotConverged.
func networkSimplex(a, b []float64, n, m, stride int, c []float64, maxIter int) (*EMDResult, error) {
	// Keep only the points of positive weight.
	src := make([]int, 0, n)
	for i, w := range a {
		if w > 0 {
			src = append(src, i)
		}
	}
	tgt := make([]int, 0, m)
	sa, sb := 0.0, 0.0
	for j, w := range b {
		if w > 0 {
			tgt = append(tgt, j)
		}
		sb += w
	}
	for _, w := range a {
		sa += w
	}
	ns, mt := len(src), len(tgt)
	cost, cstride := c, stride
	if ns < n || mt < m {
		cost = make([]float64, ns*mt)
		for k, i := range src {
			row := c[i*stride:]
			dst := cost[k*mt : (k+1)*mt]
			for l, j := range tgt {
				dst[l] = row[j]
			}
		}
		cstride = mt
	}
	supply := make([]float64, ns+mt)
	for k, i := range src {
		supply[k] = a[i]
	}
	scale := sa / sb // b is rescaled to the mass of a
	for l, j := range tgt {
		supply[ns+l] = b[j] * scale
	}

	s := newSimplex(ns, mt, cstride, cost, supply)
	iters, converged := s.run(maxIter)

	// Plan: real tree arcs with positive flow.
	res := &EMDResult{Plan: Plan{N: n, M: m}, Log: Log{Iterations: iters}}
	entries := make([]Entry, 0, ns+mt-1)
	for u := 0; u < s.root; u++ {
		e := s.pred[u]
		if e >= s.E || s.flow[u] <= 0 {
			continue
		}
		k, l := e/mt, e%mt
		entries = append(entries, Entry{I: src[k], J: tgt[l], W: s.flow[u]})
		res.Cost += s.flow[u] * cost[k*cstride+l]
	}
	slices.SortFunc(entries, func(x, y Entry) int {
		if x.I != y.I {
			return x.I - y.I
		}
		return x.J - y.J
	})
	res.Plan.Entries = entries

	// Potentials: U_i = -pi(source), V_j = pi(target), centred so that
	// sum a U = sum b V; zero-weight points get the largest feasible value.
	U := make([]float64, n)
	V := make([]float64, m)
	sumU, sumV := 0.0, 0.0
	for k, i := range src {
		U[i] = -s.pi[k]
		sumU += a[i] * U[i]
	}
	for l, j := range tgt {
		V[j] = s.pi[ns+l]
		sumV += b[j] * scale * V[j]
	}
	shift := (sumU - sumV) / (2 * sa)
	for _, i := range src {
		U[i] -= shift
	}
	for _, j := range tgt {
		V[j] += shift
	}
	if ns < n {
		for i, w := range a {
			if w > 0 {
				continue
			}
			best := math.Inf(1)
			row := c[i*stride:]
			for _, j := range tgt {
				best = math.Min(best, row[j]-V[j])
			}
			U[i] = best
		}
	}
	if mt < m {
		for j, w := range b {
			if w > 0 {
				continue
			}
			best := math.Inf(1)
			for i := 0; i < n; i++ {
				best = math.Min(best, c[i*stride+j]-U[i])
			}
			V[j] = best
		}
	}
	res.U, res.V = U, V
	if !converged {
		return res, fmt.Errorf("%w: emd: network simplex stopped after MaxIter = %d pivots", ErrNotConverged, maxIter)
	}
	return res, nil
}

// newSimplex builds the initial basis: every source sends its supply to the
// root and the root sends every target its demand, on artificial arcs.
func newSimplex(ns, mt, stride int, cost, supply []float64) *simplex {
	N := ns + mt + 1
	s := &simplex{ns: ns, mt: mt, nodes: N, root: N - 1, E: ns * mt, stride: stride, cost: cost}
	maxC := 0.0
	for k := 0; k < ns; k++ {
		for _, v := range cost[k*stride : k*stride+mt] {
			maxC = math.Max(maxC, v)
		}
	}
	if maxC == 0 {
		maxC = 1
	}
	s.art = maxC * float64(N+1)
	s.eps = 64 * 0x1p-52 * s.art

	ints := make([]int, 8*N)
	s.parent, s.pred, s.thread, s.revThread = ints[:N:N], ints[N:2*N:2*N], ints[2*N:3*N:3*N], ints[3*N:4*N:4*N]
	s.succ, s.order, s.pos, s.stem = ints[4*N:5*N:5*N], ints[5*N:6*N:6*N], ints[6*N:7*N:7*N], ints[7*N:]
	s.up = make([]bool, N)
	fl := make([]float64, 2*N)
	s.flow, s.pi = fl[:N:N], fl[N:]

	r := s.root
	s.parent[r], s.pred[r], s.succ[r] = -1, -1, N
	s.thread[r], s.revThread[0] = 0, r
	for u := 0; u < r; u++ {
		s.parent[u] = r
		s.pred[u] = s.E + u
		s.succ[u] = 1
		s.flow[u] = supply[u]
		s.thread[u] = u + 1
		s.revThread[u+1] = u
		if u < ns {
			s.up[u] = true // u → root
			s.pi[u] = -s.art
		} else {
			s.pi[u] = s.art // root → u
		}
	}
	s.block = int(math.Sqrt(float64(s.E)))
	if s.block < 10 {
		s.block = 10
	}
	return s
}

// run pivots until no arc has a negative reduced cost or maxIter pivots
// were made; it returns the number of pivots and whether it converged.
func (s *simplex) run(maxIter int) (int, bool) {
	for it := 0; ; it++ {
		if !s.findEntering() {
			return it, true
		}
		if it >= maxIter {
			return it, false
		}
		s.pivot()
	}
}

// inTree reports whether the real arc k→l is a basis arc.
func (s *simplex) inTree(e int) bool {
	k, t := e/s.mt, s.ns+e%s.mt
	return s.pred[k] == e || s.pred[t] == e
}

// findEntering runs the block search: it scans the real arcs cyclically from
// where the previous search stopped and, at the end of each block of s.block
// arcs, takes the most negative reduced cost seen so far if there is one.
func (s *simplex) findEntering() bool {
	ns, mt, E := s.ns, s.mt, s.E
	pt := s.pi[ns : ns+mt]
	min := -s.eps
	in := -1
	cnt := s.block
	k, l := s.nextK, s.nextL
	for scanned := 0; scanned < E; {
		row := s.cost[k*s.stride : k*s.stride+mt]
		pk := s.pi[k]
		lim := mt
		if l+cnt < lim {
			lim = l + cnt
		}
		for j := l; j < lim; j++ {
			if rc := row[j] + pk - pt[j]; rc < min {
				if e := k*mt + j; !s.inTree(e) {
					min, in = rc, e
				}
			}
		}
		scanned += lim - l
		cnt -= lim - l
		l = lim
		if l == mt {
			l = 0
			if k++; k == ns {
				k = 0
			}
		}
		if cnt == 0 {
			if in >= 0 {
				break
			}
			cnt = s.block
		}
	}
	s.nextK, s.nextL = k, l
	s.in = in
	return in >= 0
}

// pivot brings the arc s.in into the basis.
func (s *simplex) pivot() {
	e := s.in
	first, second := e/s.mt, s.ns+e%s.mt // source and target of the arc
	parent, succ, up, flow := s.parent, s.succ, s.up, s.flow

	// Lowest common ancestor: ancestors have larger subtrees.
	u, v := first, second
	for u != v {
		if succ[u] < succ[v] {
			u = parent[u]
		} else {
			v = parent[v]
		}
	}
	join := u

	// Leaving arc: the last blocking arc of the cycle oriented along the
	// entering arc, starting from join (strongly feasible tree rule). On the
	// first side the cycle runs parent → u, so arcs pointing up lose flow;
	// on the second side it runs u → parent, so arcs pointing down do.
	delta := math.Inf(1)
	uOut, side := -1, 0
	for u := first; u != join; u = parent[u] {
		if up[u] && flow[u] < delta {
			delta, uOut, side = flow[u], u, 1
		}
	}
	for u := second; u != join; u = parent[u] {
		if !up[u] && flow[u] <= delta {
			delta, uOut, side = flow[u], u, 2
		}
	}
	// uOut >= 0 always: the root's side of the cycle is bounded because
	// the problem is balanced and costs are finite (no negative cycles of
	// unbounded capacity exist with every arc leaving a source).
	if delta > 0 {
		for u := first; u != join; u = parent[u] {
			if up[u] {
				flow[u] -= delta
			} else {
				flow[u] += delta
			}
		}
		for u := second; u != join; u = parent[u] {
			if up[u] {
				flow[u] += delta
			} else {
				flow[u] -= delta
			}
		}
	}
	uIn, vIn := first, second
	if side == 2 {
		uIn, vIn = second, first
	}
	s.rehang(e, uIn, vIn, uOut, join, delta)
}

// rehang removes the subtree of uOut, re-roots it at uIn (which lies in it)
// and hangs it under vIn by the arc e carrying flow delta. Along the stem
// uIn = s_0, s_1 = parent(s_0), ..., s_k = uOut the parent pointers, arcs
// and flows are reversed. The new preorder of the subtree is, for i = 0..k,
// s_i followed by its old subtree minus the old subtree of s_{i-1}: each
// piece is a contiguous range of the old preorder.
func (s *simplex) rehang(e, uIn, vIn, uOut, join int, delta float64) {
	parent, succ, thread, rev := s.parent, s.succ, s.thread, s.revThread
	S := succ[uOut]
	vOut := parent[uOut]

	// Old preorder of the subtree into order, with positions.
	order, pos := s.order[:S], s.pos
	u := uOut
	for i := range order {
		order[i] = u
		pos[u] = i
		u = thread[u]
	}
	// Splice it out of the thread.
	before, after := rev[uOut], u
	thread[before], rev[after] = after, before

	// Subtree sizes above: the subtree leaves vOut's ancestors below join
	// and joins vIn's.
	for w := vOut; w != join; w = parent[w] {
		succ[w] -= S
	}
	for w := vIn; w != join; w = parent[w] {
		succ[w] += S
	}

	// The stem.
	stem := s.stem[:0]
	for w := uIn; ; w = parent[w] {
		stem = append(stem, w)
		if w == uOut {
			break
		}
	}
	k := len(stem) - 1

	// New thread of the subtree, written as a linked list starting at uIn.
	last := -1
	link := func(w int) {
		if last >= 0 {
			thread[last] = w
			rev[w] = last
		}
		last = w
	}
	{
		p := pos[uIn]
		for _, w := range order[p : p+succ[uIn]] {
			link(w)
		}
	}
	for i := 1; i <= k; i++ {
		si, prev := stem[i], stem[i-1]
		p, q := pos[si], pos[prev]
		for _, w := range order[p:q] {
			link(w)
		}
		for _, w := range order[q+succ[prev] : p+succ[si]] {
			link(w)
		}
	}
	// Hang it right after vIn in the thread.
	nxt := thread[vIn]
	thread[vIn], rev[uIn] = uIn, vIn
	thread[last], rev[nxt] = nxt, last

	// Reverse the stem: sizes (old sizes are still valid below s_i), arcs,
	// directions and flows.
	newSize := 0
	for i := k; i >= 1; i-- {
		newSize += succ[stem[i]] - succ[stem[i-1]]
		succ[stem[i]] = newSize
	}
	for i := k; i >= 1; i-- {
		si, prev := stem[i], stem[i-1]
		parent[si] = prev
		s.pred[si] = s.pred[prev]
		s.up[si] = !s.up[prev]
		s.flow[si] = s.flow[prev]
	}
	succ[uIn] = S
	parent[uIn] = vIn
	s.pred[uIn] = e
	s.up[uIn] = uIn < s.ns // the arc goes from its source to the target
	s.flow[uIn] = delta

	// Potentials of the moved subtree, in its new preorder.
	w := uIn
	for i := 0; i < S; i++ {
		s.pi[w] = s.potentialFromParent(w)
		w = thread[w]
	}
}

// potentialFromParent returns the potential of u that gives its tree arc a
// zero reduced cost.
func (s *simplex) potentialFromParent(u int) float64 {
	e, p := s.pred[u], s.parent[u]
	var c float64
	if e >= s.E {
		c = s.art
	} else {
		c = s.cost[(e/s.mt)*s.stride+e%s.mt]
	}
	if s.up[u] { // u → p: c + pi[u] - pi[p] = 0
		return s.pi[p] - c
	}
	return s.pi[p] + c // p → u: c + pi[p] - pi[u] = 0
}
