package ot

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"
)

// Wasserstein1D returns the optimal transport cost between the 1-D measures
// sum_i a_i δ_{x_i} and sum_j b_j δ_{y_j} for the cost |x - y|^p, that is
// W_p^p (like POT's ot.wasserstein_1d and ot.emd2_1d, which also return the
// p-th power). A nil a or b means uniform weights; b is rescaled to the sum
// of a (the sums must agree within MassTolerance).
//
// It is exact for any weights and sizes: both point sets are sorted and the
// quantile functions are merged, since the monotone (north-west corner)
// coupling of the sorted points is optimal for every convex cost |x-y|^p,
// p >= 1 (see e.g. Peyré & Cuturi, "Computational Optimal Transport",
// 2019, Remark 2.30). For 0 < p < 1 the cost is not convex and the monotone
// coupling is only an upper bound; Wasserstein1D returns its cost. The two
// sorts run concurrently. Bad input (empty or NaN points, bad weights,
// p <= 0) is an error wrapping ErrInput.
func Wasserstein1D(x, y, a, b []float64, p float64) (float64, error) {
	if err := check1D(x, y, a, b, p); err != nil {
		return 0, err
	}
	var ws w1dWork
	return ws.cost(x, y, a, b, p), nil
}

// Plan1D returns the monotone optimal plan between the 1-D measures of
// Wasserstein1D (optimal for every convex cost |x - y|^p, p >= 1): sparse,
// with at most n+m-1 entries sorted by I then J. A nil a or b means uniform
// weights; b is rescaled to the sum of a.
func Plan1D(x, y, a, b []float64) (Plan, error) {
	if err := check1D(x, y, a, b, 1); err != nil {
		return Plan{}, err
	}
	n, m := len(x), len(y)
	if a == nil {
		a = Uniform(n)
	}
	if b == nil {
		b = Uniform(m)
	}
	b = rescaleTo(b, a)
	var ix, iy []int
	sort2(n+m > 1<<14, func() { ix = sortedIndex(x) }, func() { iy = sortedIndex(y) })
	entries := make([]Entry, 0, n+m-1)
	i, j := 0, 0
	ra, rb := a[ix[0]], b[iy[0]]
	for {
		if ra <= rb {
			if ra > 0 {
				entries = append(entries, Entry{I: ix[i], J: iy[j], W: ra})
			}
			rb -= ra
			if i++; i == n {
				break
			}
			ra = a[ix[i]]
		} else {
			if rb > 0 {
				entries = append(entries, Entry{I: ix[i], J: iy[j], W: rb})
			}
			ra -= rb
			if j++; j == m {
				break
			}
			rb = b[iy[j]]
		}
	}
	sortEntries(entries, n)
	return Plan{N: n, M: m, Entries: entries}, nil
}

// check1D validates the input of the 1-D solvers.
func check1D(x, y, a, b []float64, p float64) error {
	if len(x) == 0 || len(y) == 0 {
		return inputErrorf("1-D: empty point set (%d and %d points)", len(x), len(y))
	}
	if math.IsNaN(p) || math.IsInf(p, 0) || p <= 0 {
		return inputErrorf("1-D: p = %v, want a finite positive number", p)
	}
	for name, v := range map[string][]float64{"x": x, "y": y} {
		for i, t := range v {
			if math.IsNaN(t) || math.IsInf(t, 0) {
				return inputErrorf("1-D: %s[%d] is %v", name, i, t)
			}
		}
	}
	if a != nil && len(a) != len(x) {
		return inputErrorf("1-D: len(a) = %d but %d points", len(a), len(x))
	}
	if b != nil && len(b) != len(y) {
		return inputErrorf("1-D: len(b) = %d but %d points", len(b), len(y))
	}
	aa, bb := a, b
	if aa == nil {
		aa = Uniform(len(x))
	}
	if bb == nil {
		bb = Uniform(len(y))
	}
	if err := checkBalanced(aa, bb); err != nil {
		return fmt.Errorf("1-D: %w", err)
	}
	return nil
}

// rescaleTo returns b scaled to the sum of a (b itself if the sums agree).
func rescaleTo(b, a []float64) []float64 {
	sa, sb := 0.0, 0.0
	for _, v := range a {
		sa += v
	}
	for _, v := range b {
		sb += v
	}
	if sa == sb {
		return b
	}
	out := make([]float64, len(b))
	for i, v := range b {
		out[i] = v * sa / sb
	}
	return out
}

// sortedIndex returns the permutation that sorts x (ties by index).
func sortedIndex(x []float64) []int {
	if len(x) >= radixMin && len(x) <= math.MaxInt32 {
		return sortedIndexRadix(x)
	}
	type kv struct {
		v float64
		i int
	}
	s := make([]kv, len(x))
	for i, v := range x {
		s[i] = kv{v, i}
	}
	slices.SortFunc(s, func(p, q kv) int {
		if c := cmp.Compare(p.v, q.v); c != 0 {
			return c
		}
		return p.i - q.i
	})
	idx := make([]int, len(x))
	for k, e := range s {
		idx[k] = e.i
	}
	return idx
}

// sortEntries sorts plan entries by I then J: a counting sort on I, then
// each row (a few entries) by J.
func sortEntries(e []Entry, n int) {
	if slices.IsSortedFunc(e, cmpEntry) {
		return
	}
	start := make([]int, n+1)
	for _, x := range e {
		start[x.I+1]++
	}
	for i := 0; i < n; i++ {
		start[i+1] += start[i]
	}
	out := make([]Entry, len(e))
	pos := slices.Clone(start[:n])
	for _, x := range e {
		out[pos[x.I]] = x
		pos[x.I]++
	}
	for i := 0; i < n; i++ {
		row := out[start[i]:start[i+1]]
		if len(row) > 1 {
			slices.SortStableFunc(row, cmpEntry)
		}
	}
	copy(e, out)
}

func cmpEntry(p, q Entry) int {
	if p.I != q.I {
		return p.I - q.I
	}
	return p.J - q.J
}

// weighted is a point with its weight.
type weighted struct{ v, w float64 }

// w1dWork holds the buffers of the 1-D cost so that repeated calls (sliced
// Wasserstein) allocate nothing once grown.
type w1dWork struct {
	kx, ky, tx, ty []uint64 // sort keys and scratch
	wx, wy, ux, uy []uint64 // weight payloads and scratch
	px, py         []weighted
}

// cost returns the 1-D transport cost for valid input; x and y are not
// modified.
func (ws *w1dWork) cost(x, y, a, b []float64, p float64) float64 {
	n, m := len(x), len(y)
	par := n+m > 1<<14
	if a == nil && b == nil && n == m {
		var sx, sy []uint64
		sort2(par, func() { sx, ws.kx, ws.tx = sortFloatKeys(x, ws.kx, ws.tx) },
			func() { sy, ws.ky, ws.ty = sortFloatKeys(y, ws.ky, ws.ty) })
		s := 0.0
		for i, k := range sx {
			s += powAbs(keyFloat(k)-keyFloat(sy[i]), p)
		}
		return s / float64(n)
	}
	if a == nil {
		a = Uniform(n)
	}
	if b == nil {
		b = Uniform(m)
	}
	sa, sb := 0.0, 0.0
	for _, v := range a {
		sa += v
	}
	for _, v := range b {
		sb += v
	}
	scale := sa / sb
	sort2(par, func() { ws.px = ws.sortWeighted(ws.px, x, a, 1, &ws.kx, &ws.tx, &ws.wx, &ws.ux) },
		func() { ws.py = ws.sortWeighted(ws.py, y, b, scale, &ws.ky, &ws.ty, &ws.wy, &ws.uy) })
	return mergeCost(ws.px, ws.py, p)
}

// sortWeighted fills dst with the points v and weights w*scale sorted by
// value (stably), by radix sort for long inputs.
func (ws *w1dWork) sortWeighted(dst []weighted, v, w []float64, scale float64, k, tk, pw, tp *[]uint64) []weighted {
	n := len(v)
	if n < radixMin {
		dst = fillWeighted(dst, v, w, scale)
		slices.SortStableFunc(dst, func(p, q weighted) int { return cmp.Compare(p.v, q.v) })
		return dst
	}
	*k, *tk, *pw, *tp = growU64(*k, n), growU64(*tk, n), growU64(*pw, n), growU64(*tp, n)
	keys, pay := *k, *pw
	for i, t := range v {
		keys[i] = floatKey(t)
		pay[i] = math.Float64bits(w[i] * scale)
	}
	sk, sp := radixSort(keys, pay, *tk, *tp)
	dst = slices.Grow(dst[:0], n)[:n]
	for i, key := range sk {
		dst[i] = weighted{keyFloat(key), math.Float64frombits(sp[i])}
	}
	return dst
}

func fillWeighted(dst []weighted, v, w []float64, scale float64) []weighted {
	dst = slices.Grow(dst[:0], len(v))[:len(v)]
	for i := range v {
		dst[i] = weighted{v[i], w[i] * scale}
	}
	return dst
}

// mergeCost merges two sorted weighted point sets along their quantile
// functions and returns sum w |x - y|^p.
func mergeCost(px, py []weighted, p float64) float64 {
	i, j := 0, 0
	ra, rb := px[0].w, py[0].w
	s := 0.0
	for {
		if ra <= rb {
			s += ra * powAbs(px[i].v-py[j].v, p)
			rb -= ra
			if i++; i == len(px) {
				break
			}
			ra = px[i].w
		} else {
			s += rb * powAbs(px[i].v-py[j].v, p)
			ra -= rb
			if j++; j == len(py) {
				break
			}
			rb = py[j].w
		}
	}
	return s
}

func powAbs(d, p float64) float64 {
	switch p {
	case 1:
		return math.Abs(d)
	case 2:
		return d * d
	}
	return math.Pow(math.Abs(d), p)
}

// sort2 runs two functions, concurrently when par.
func sort2(par bool, f, g func()) {
	if !par {
		f()
		g()
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); g() }()
	f()
	wg.Wait()
}
