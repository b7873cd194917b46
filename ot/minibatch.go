package ot

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"
)

// MinibatchOptions configures the minibatch estimators of Fatras, Zine,
// Flamary, Gribonval, Courty, "Learning with minibatch Wasserstein:
// asymptotic and gradient properties" (AISTATS 2020). A zero field means its
// default, but M and K have none: they must be set, so a nil
// *MinibatchOptions is an error wrapping ErrInput.
type MinibatchOptions struct {
	// M is the minibatch size (m in the paper), 1 <= M <= min(n, m).
	M int
	// K is the number of minibatch pairs (k in the paper), K >= 1.
	K int
	// P is the exponent of the ground cost |x - y|^P; default 2.
	P float64
	// Solver is the OT solver of each pair: MethodExact (the default,
	// also for "" and MethodAuto; the assignment solver, since both
	// minibatches carry uniform weights 1/M; on clustered data it falls
	// back to the network simplex by itself; MethodAssignment is the
	// same), MethodSimplex (exact, always the network simplex of EMD),
	// MethodSinkhorn (entropic, with Eps) or Method1D (exact by sorting,
	// for one-dimensional points).
	Solver Method
	// Eps is the entropic regularisation of the "sinkhorn" solver.
	Eps float64
	// Sinkhorn holds further options of the "sinkhorn" solver (its
	// Workers and Plan fields are ignored).
	Sinkhorn *SinkhornOptions
	// Seed determines all random choices.
	Seed uint64
	// Workers is the number of goroutines; 0 means runtime.GOMAXPROCS(0).
	// The results do not depend on it.
	Workers int
	// CostPrecision selects the arithmetic of the pair costs. The
	// default, PrecisionAuto, computes the inner products of the exact
	// solvers' costs in float32 (Cost32, through otgen/sgemm) from
	// dimension Float32MinDim on, then the pair's value in float64 from
	// its plan, so that rounding can only choose between plans whose
	// costs are within about 1e-6 (relative) of each other; it is float64
	// otherwise. PrecisionFloat32 also uses float32 products for the
	// "sinkhorn" solver, whose value then carries their rounding.
	CostPrecision Precision
	// Grad asks MinibatchWasserstein for the gradients with respect to the
	// points.
	Grad bool
	// NoGradY leaves GradY out (nil) when Grad is set: for gradient flows,
	// which move X only, it saves an m×d matrix per call.
	NoGradY bool
	// Sampling selects how the index sets are drawn:
	//   "iid" (default): every pair draws I from X and J from Y
	//     uniformly without replacement, independently of the other pairs
	//     (the incomplete estimator of eq. 4);
	//   "epoch": the minibatches of X are consecutive chunks of a random
	//     permutation of X, redrawn once all floor(n/M) chunks are used,
	//     and likewise for Y; each minibatch is still a uniform subset, and
	//     when K·M is a multiple of n (and of m) every point is used
	//     equally often, so the plan estimator has marginals exactly 1/n
	//     and 1/m;
	//   "epoch-x": epochs for X, "iid" for Y (the sampling of POT's
	//     colour-transfer example).
	Sampling string
	// From and To, when To > 0, restrict the run to the pairs From, ...,
	// To-1 of the K pairs (0 <= From < To <= K): the share of one process
	// when the pairs are spread over several (see package dist). Each pair
	// is drawn and solved exactly as in the full run, and Value, the
	// gradients and the plan sum the terms of those pairs only, still
	// divided by K, so the results of shares that cover [0, K) once add
	// up to the full estimator (up to the order of the floating-point
	// sums). StdErr is 0 for a share.
	From, To int
}

// MinibatchResult is the minibatch Wasserstein estimate.
type MinibatchResult struct {
	// Value is the incomplete estimator of eq. (4): the mean over the K
	// pairs of the OT cost sum_ij Π_ij |x_i - y_j|^P between the uniform
	// minibatch measures (for the "sinkhorn" solver, the entropic value
	// OT_eps of SinkhornResult.Dual, whose gradient the envelope theorem
	// gives exactly).
	Value float64
	// StdErr is the standard error of Value, the sample standard deviation
	// of the K pair costs divided by sqrt(K) (0 when K = 1, and for a
	// share of the pairs: see MeanSquare).
	StdErr float64
	// MeanSquare is the mean over the K pairs of their squared costs (for
	// a share of the pairs, From and To, the share's squares still divided
	// by K, so that the shares add up): with Value, the variance of the
	// pair costs is K/(K-1)·(MeanSquare − Value²), from which a job that
	// spread the pairs over processes gets StdErr.
	MeanSquare float64
	// GradX (n×d) and GradY (m×d), when asked, are the gradients of Value
	// with respect to the points: the average over the pairs of
	// sum_j Π_ij ∇_x c(x_i, y_j), with ∇_x c = P |x-y|^{P-2} (x - y)
	// (2 (x - y) for the squared Euclidean cost), by the envelope theorem.
	// Points never drawn get a zero gradient.
	GradX, GradY *mat.Dense
}

// MinibatchPlanResult is the minibatch transport plan estimate.
type MinibatchPlanResult struct {
	// Plan is the estimator of eq. (6), (1/K) sum_k Π_k, where Π_k is
	// the optimal plan of pair k (uniform weights 1/M on each minibatch)
	// lifted to the full n×m index space; sparse, sorted by I then J.
	Plan Plan
	// Rows and Cols are the marginals of Plan: 1/n and 1/m in expectation
	// (exactly so for Sampling "epoch" when K·M is a multiple of n and m).
	Rows, Cols []float64
	// Value is the mean minibatch OT cost, as in MinibatchResult.
	Value float64
}

// MinibatchWasserstein returns the minibatch Wasserstein estimator of
// Fatras et al. (AISTATS 2020, eq. 4): K pairs of index sets of size M, drawn
// without replacement inside X (n×d) and Y (m×d), uniform weights 1/M on each
// minibatch, an OT problem with cost |x - y|^P solved on each pair, and the
// costs averaged; with opts.Grad, also its gradient with respect to the
// points.
//
// The pairs run on a fixed pool of workers, each with its own buffers; the
// randomness of pair k comes only from (Seed, k) and the pair results are
// summed in pair order, so the result is identical for any Workers. Bad
// input (empty or non-finite points, M < 1 or larger than n or m, K < 1,
// unknown Solver or Sampling, Eps <= 0 with "sinkhorn", d != 1 with "1d") is
// an error wrapping ErrInput.
func MinibatchWasserstein(X, Y *mat.Dense, opts *MinibatchOptions) (*MinibatchResult, error) {
	r, err := newMinibatchRun(X, Y, opts)
	if err != nil {
		return nil, err
	}
	res := &MinibatchResult{}
	if r.o.Grad {
		res.GradX = mat.NewDense(r.n, r.d, nil)
		if !r.o.NoGradY {
			res.GradY = mat.NewDense(r.m, r.d, nil)
		}
	}
	sum, sumSq := 0.0, 0.0
	K := float64(r.o.K)
	var chunk func([]pairSlot)
	if r.o.Grad {
		r.grad = true
		chunk = func(slots []pairSlot) { r.addGrads(res.GradX, res.GradY, slots) }
	}
	err = r.run(func(k int, s *pairSlot) {
		sum += s.cost
		sumSq += s.cost * s.cost
	}, chunk)
	if err != nil {
		return nil, err
	}
	res.Value = sum / K
	res.MeanSquare = sumSq / K
	if r.o.K > 1 && r.o.To == 0 {
		v := (sumSq - sum*sum/K) / (K - 1)
		res.StdErr = math.Sqrt(math.Max(v, 0) / K)
	}
	return res, nil
}

// MinibatchPlan returns the minibatch transport plan estimator of Fatras et
// al. (AISTATS 2020, eq. 6): (1/K) sum_k Π_k, with Π_k the optimal plan
// between the uniform minibatches of pair k, accumulated sparsely (at most
// K·M non-zeros with the exact and 1-D solvers, never an n×m dense matrix),
// together with its marginals. Pairs are drawn and solved as in
// MinibatchWasserstein (opts.Grad is ignored), with the same guarantees of
// determinism.
func MinibatchPlan(X, Y *mat.Dense, opts *MinibatchOptions) (*MinibatchPlanResult, error) {
	r, err := newMinibatchRun(X, Y, opts)
	if err != nil {
		return nil, err
	}
	K := float64(r.o.K)
	entries := make([]Entry, 0, r.o.K*r.o.M)
	sum := 0.0
	err = r.run(func(k int, s *pairSlot) {
		sum += s.cost
		for _, e := range s.entries {
			entries = append(entries, Entry{I: s.I[e.I], J: s.J[e.J], W: e.W / K})
		}
	}, nil)
	if err != nil {
		return nil, err
	}
	sortEntries(entries, r.n)
	// Merge duplicates, summing in pair order (the sort is stable).
	out := entries[:0]
	for _, e := range entries {
		if l := len(out) - 1; l >= 0 && out[l].I == e.I && out[l].J == e.J {
			out[l].W += e.W
			continue
		}
		out = append(out, e)
	}
	res := &MinibatchPlanResult{
		Plan:  Plan{N: r.n, M: r.m, Entries: slices.Clip(out)},
		Rows:  make([]float64, r.n),
		Cols:  make([]float64, r.m),
		Value: sum / K,
	}
	for _, e := range res.Plan.Entries {
		res.Rows[e.I] += e.W
		res.Cols[e.J] += e.W
	}
	return res, nil
}

// minibatchRun holds the validated input of a minibatch estimator.
type minibatchRun struct {
	X, Y    *mat.Dense
	n, m, d int
	o       MinibatchOptions
	sink    SinkhornOptions
	epochX  bool
	epochY  bool
	workers int
	// use32 selects float32 pair costs (Cost32), centred on mean.
	use32 bool
	mean  []float64
	// grad asks solvePair for the gradient weight of every plan entry.
	grad bool
	// first and last bound the pairs solved (From and To, or 0 and K).
	first, last int
}

func newMinibatchRun(X, Y *mat.Dense, opts *MinibatchOptions) (*minibatchRun, error) {
	if opts == nil {
		return nil, inputErrorf("minibatch: nil options: the minibatch size M and the number of pairs K must be set")
	}
	o := *opts
	if err := checkPoints(X, Y, 1); err != nil {
		return nil, fmt.Errorf("minibatch: %w", err)
	}
	r := &minibatchRun{X: X, Y: Y, o: o}
	r.n, r.d = X.Dims()
	r.m, _ = Y.Dims()
	if o.M < 1 || o.M > r.n || o.M > r.m {
		return nil, inputErrorf("minibatch: size M = %d, want 1 <= M <= min(%d, %d)", o.M, r.n, r.m)
	}
	if o.K < 1 {
		return nil, inputErrorf("minibatch: K = %d pairs, want at least 1", o.K)
	}
	if r.o.P == 0 {
		r.o.P = 2
	}
	if p := r.o.P; math.IsNaN(p) || math.IsInf(p, 0) || p <= 0 {
		return nil, inputErrorf("minibatch: P = %v, want a finite positive number", p)
	}
	solver, err := methodIn("minibatch", o.Solver, MethodAuto, MethodExact, MethodAssignment, MethodSimplex, MethodSinkhorn, Method1D)
	if err != nil {
		return nil, err
	}
	switch solver {
	case MethodAuto, MethodExact, MethodAssignment:
		r.o.Solver = MethodExact
	case MethodSimplex:
		r.o.Solver = MethodSimplex
	case MethodSinkhorn:
		if o.Sinkhorn != nil {
			r.sink = *o.Sinkhorn
		}
		r.sink.Workers, r.sink.Plan = 1, true
		if _, err := sinkhornDefaults(o.Eps, &r.sink); err != nil {
			return nil, fmt.Errorf("minibatch: %w", err)
		}
	case Method1D:
		if r.d != 1 {
			return nil, inputErrorf("minibatch: solver \"1d\" needs 1-D points, got dimension %d", r.d)
		}
	}
	switch o.Sampling {
	case "", "iid":
	case "epoch":
		r.epochX, r.epochY = true, true
	case "epoch-x":
		r.epochX = true
	default:
		return nil, inputErrorf("minibatch: unknown sampling %q (want iid, epoch or epoch-x)", o.Sampling)
	}
	r.workers = min(workerCount(o.Workers), o.K)
	switch o.CostPrecision {
	case PrecisionAuto:
		r.use32 = r.d >= Float32MinDim && r.o.Solver != MethodSinkhorn && r.o.Solver != Method1D
	case PrecisionFloat64:
	case PrecisionFloat32:
		r.use32 = r.o.Solver != Method1D
	default:
		return nil, inputErrorf("minibatch: unknown CostPrecision %d", o.CostPrecision)
	}
	if r.use32 {
		r.mean = meanRows(X, Y)
	}
	r.first, r.last = 0, o.K
	if o.To != 0 {
		if o.From < 0 || o.From >= o.To || o.To > o.K {
			return nil, inputErrorf("minibatch: pairs [%d, %d) of K = %d, want 0 <= From < To <= K", o.From, o.To, o.K)
		}
		r.first, r.last = o.From, o.To
	}
	return r, nil
}

// pairSlot is the output of one pair: its index sets, its plan in local
// indices and its cost.
type pairSlot struct {
	I, J    []int
	entries []Entry
	// scale[e] is the weight of entry e in the gradient (see addGrads).
	scale []float64
	cost  float64
	err   error
}

// pairWork is the per-worker workspace.
type pairWork struct {
	src       *rand.PCG
	rng       *rand.Rand
	idX, idY  []int // identity permutations, restored after each draw
	swaps     []int
	Xb, Yb, C *mat.Dense
	xb, yb    []float64
	assign    AssignmentWorkspace
	c32       cost32Work
}

// epochs caches the permutations of the epochs in use.
type epochs struct {
	seed  uint64
	salt  uint64
	size  int
	perms map[int][]int
}

func (e *epochs) perm(ep int) []int {
	if p, ok := e.perms[ep]; ok {
		return p
	}
	rng := rand.New(rand.NewPCG(e.seed^e.salt, uint64(ep)))
	p := rng.Perm(e.size)
	e.perms[ep] = p
	return p
}

// drop forgets the epochs before ep.
func (e *epochs) drop(ep int) {
	for k := range e.perms {
		if k < ep {
			delete(e.perms, k)
		}
	}
}

// run solves all pairs, in chunks of a few pairs per worker, and calls
// reduce for each pair in pair order, then chunk (unless nil) with the
// slots of the chunk, in pair order.
func (r *minibatchRun) run(reduce func(k int, s *pairSlot), chunk func([]pairSlot)) error {
	M, K := r.o.M, r.o.K
	nslots := 4 * r.workers
	slots := make([]pairSlot, nslots)
	for s := range slots {
		slots[s].I = make([]int, M)
		slots[s].J = make([]int, M)
	}
	works := make([]*pairWork, r.workers)
	for w := range works {
		works[w] = r.newWork()
	}
	ex := &epochs{seed: r.o.Seed, salt: 0x9e3779b97f4a7c15, size: r.n, perms: map[int][]int{}}
	ey := &epochs{seed: r.o.Seed, salt: 0xc2b2ae3d27d4eb4f, size: r.m, perms: map[int][]int{}}
	cx, cy := r.n/M, r.m/M
	for start := r.first; start < r.last; start += nslots {
		end := min(start+nslots, r.last, K)
		// Index sets of epoch sampling are fixed here, in pair order.
		if r.epochX {
			ex.drop(start / cx)
		}
		if r.epochY {
			ey.drop(start / cy)
		}
		for k := start; k < end; k++ {
			s := &slots[k-start]
			if r.epochX {
				c := k % cx
				copy(s.I, ex.perm(k / cx)[c*M:(c+1)*M])
			}
			if r.epochY {
				c := k % cy
				copy(s.J, ey.perm(k / cy)[c*M:(c+1)*M])
			}
		}
		var next atomic.Int64
		next.Store(int64(start))
		var wg sync.WaitGroup
		for w := 0; w < min(r.workers, end-start); w++ {
			wg.Add(1)
			go func(ws *pairWork) {
				defer wg.Done()
				for {
					k := int(next.Add(1) - 1)
					if k >= end {
						return
					}
					s := &slots[k-start]
					s.err = r.solvePair(k, ws, s)
				}
			}(works[w])
		}
		wg.Wait()
		for k := start; k < end; k++ {
			s := &slots[k-start]
			if s.err != nil {
				return fmt.Errorf("minibatch pair %d: %w", k, s.err)
			}
			reduce(k, s)
		}
		if chunk != nil {
			chunk(slots[:end-start])
		}
	}
	return nil
}

func (r *minibatchRun) newWork() *pairWork {
	M := r.o.M
	ws := &pairWork{src: rand.NewPCG(0, 0)}
	ws.rng = rand.New(ws.src)
	if !r.epochX {
		ws.idX = identity(r.n)
	}
	if !r.epochY {
		ws.idY = identity(r.m)
	}
	ws.swaps = make([]int, M)
	ws.Xb = mat.NewDense(M, r.d, nil)
	ws.Yb = mat.NewDense(M, r.d, nil)
	ws.C = mat.NewDense(M, M, nil)
	ws.xb, ws.yb = make([]float64, M), make([]float64, M)
	return ws
}

func identity(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

// sample draws len(dst) distinct indices uniformly from id (an identity
// permutation) by a partial Fisher–Yates shuffle, then undoes the swaps so
// that id is the identity again: O(len(dst)) whatever len(id).
func (ws *pairWork) sample(dst, id []int) {
	n := len(id)
	for t := range dst {
		s := t + ws.rng.IntN(n-t)
		ws.swaps[t] = s
		id[t], id[s] = id[s], id[t]
		dst[t] = id[t]
	}
	for t := len(dst) - 1; t >= 0; t-- {
		s := ws.swaps[t]
		id[t], id[s] = id[s], id[t]
	}
}

// solvePair draws the index sets of pair k (unless fixed by epochs) and
// solves its OT problem into s.
func (r *minibatchRun) solvePair(k int, ws *pairWork, s *pairSlot) error {
	M := r.o.M
	ws.src.Seed(r.o.Seed, uint64(k))
	if !r.epochX {
		ws.sample(s.I, ws.idX)
	}
	if !r.epochY {
		ws.sample(s.J, ws.idY)
	}
	if r.use32 {
		xrow := func(t int) []float64 { return r.X.RawRowView(s.I[t]) }
		yrow := func(t int) []float64 { return r.Y.RawRowView(s.J[t]) }
		ws.c32.load(M, M, r.d, r.mean, xrow, yrow)
		ws.c32.finish(ws.C.RawMatrix().Data, M, M, M, r.d, r.o.P)
	} else {
		for t := 0; t < M; t++ {
			copy(ws.Xb.RawRowView(t), r.X.RawRowView(s.I[t]))
			copy(ws.Yb.RawRowView(t), r.Y.RawRowView(s.J[t]))
		}
		if r.o.Solver != Method1D {
			if err := CostInto(ws.C, ws.Xb, ws.Yb, r.o.P); err != nil {
				return err
			}
		}
	}
	s.entries = s.entries[:0]
	w := 1 / float64(M)
	switch r.o.Solver {
	case MethodExact:
		as, err := AssignmentSlice(M, ws.C.RawMatrix().Data, &ws.assign)
		if err != nil {
			return err
		}
		for i, j := range as.Perm {
			s.entries = append(s.entries, Entry{I: i, J: j, W: w})
		}
		s.cost = as.Cost * w
	case MethodSimplex:
		res, err := EMD(nil, nil, ws.C, &EMDOptions{ForceSimplex: true})
		if err != nil {
			return err
		}
		for _, e := range res.Plan.Entries {
			s.entries = append(s.entries, e)
		}
		s.cost = res.Cost
	case MethodSinkhorn:
		res, err := Sinkhorn(nil, nil, ws.C, r.o.Eps, &r.sink)
		if err != nil {
			return err
		}
		for i := 0; i < M; i++ {
			for j, p := range res.Plan.RawRowView(i) {
				if p > 0 {
					s.entries = append(s.entries, Entry{I: i, J: j, W: p})
				}
			}
		}
		s.cost = res.Dual
	case Method1D:
		for t := 0; t < M; t++ {
			ws.xb[t] = ws.Xb.At(t, 0)
			ws.yb[t] = ws.Yb.At(t, 0)
		}
		pl, err := Plan1D(ws.xb, ws.yb, nil, nil)
		if err != nil {
			return err
		}
		s.entries = append(s.entries, pl.Entries...)
		s.cost = 0
		for _, e := range pl.Entries {
			s.cost += e.W * powAbs(ws.xb[e.I]-ws.yb[e.J], r.o.P)
		}
	}
	if r.use32 && r.o.Solver != MethodSinkhorn {
		// The value of the plan in float64: the float32 costs only chose it.
		s.cost = 0
		for _, e := range s.entries {
			s.cost += e.W * r.pointCost(s.I[e.I], s.J[e.J])
		}
	}
	if r.grad {
		s.scale = s.scale[:0]
		K := float64(r.o.K)
		for _, e := range s.entries {
			s.scale = append(s.scale, r.gradScale(s.I[e.I], s.J[e.J], e.W/K))
		}
	}
	return nil
}

// pointCost is |x_i - y_j|^P in float64.
func (r *minibatchRun) pointCost(i, j int) float64 {
	return pairCost(r.X.RawRowView(i)[:r.d], r.Y.RawRowView(j)[:r.d], r.o.P)
}

// gradScale returns the factor s of w ∇_x c(x_i, y_j) = s (x_i - y_j) for
// c = |x - y|^P: P w |x - y|^{P-2} (0 where x_i = y_j and P != 2).
func (r *minibatchRun) gradScale(i, j int, w float64) float64 {
	p := r.o.P
	scale := p * w
	if p != 2 {
		x, y := r.X.RawRowView(i)[:r.d], r.Y.RawRowView(j)[:r.d]
		d2 := 0.0
		for k := range x {
			t := x[k] - y[k]
			d2 += t * t
		}
		if d2 == 0 {
			return 0
		}
		scale *= math.Pow(d2, (p-2)/2)
	}
	return scale
}

// gradBlock is the number of coordinates per goroutine of addGrads.
const gradBlock = 512

// addGrads adds, for every entry of every slot (in slot order),
// s (x_i - y_j) to row i of GX and subtracts it from row j of GY (unless
// GY is nil), with s
// the entry's gradient scale. Goroutines take disjoint blocks of
// coordinates, so every coordinate sees the same additions in the same
// order whatever the number of workers.
func (r *minibatchRun) addGrads(GX, GY *mat.Dense, slots []pairSlot) {
	add := func(k0, k1 int) {
		for si := range slots {
			s := &slots[si]
			for ei, e := range s.entries {
				i, j := s.I[e.I], s.J[e.J]
				x, y := r.X.RawRowView(i)[k0:k1], r.Y.RawRowView(j)[k0:k1]
				gx := GX.RawRowView(i)[k0:k1]
				var gy []float64
				if GY != nil {
					gy = GY.RawRowView(j)[k0:k1]
				}
				sc := s.scale[ei]
				if sc == 0 {
					continue
				}
				if gy == nil {
					for k := range x {
						gx[k] += sc * (x[k] - y[k])
					}
					continue
				}
				for k := range x {
					g := sc * (x[k] - y[k])
					gx[k] += g
					gy[k] -= g
				}
			}
		}
	}
	blocks := (r.d + gradBlock - 1) / gradBlock
	if blocks == 1 || r.workers == 1 {
		add(0, r.d)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(r.workers, blocks); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b := int(next.Add(1) - 1)
				if b >= blocks {
					return
				}
				add(b*gradBlock, min((b+1)*gradBlock, r.d))
			}
		}()
	}
	wg.Wait()
}
