package ot

import (
	"fmt"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// MinibatchMapResult is the barycentric map of the minibatch transport plan
// estimator, computed by MinibatchBarycentricMap.
type MinibatchMapResult struct {
	// Map (n×d) holds in row i the barycentric image of x_i under the
	// minibatch plan Π̄ of eq. (6):
	//
	//	T(x_i) = sum_j Π̄_ij y_j / sum_j Π̄_ij,
	//
	// for every point drawn in at least one minibatch. Rows of points never
	// drawn (Mass[i] == 0) are zero.
	Map *mat.Dense
	// Mass is the row marginal of Π̄, sum_j Π̄_ij: 1/n in expectation, and
	// 0 exactly for the points that no minibatch drew.
	Mass []float64
	// Covered is the number of points with positive Mass.
	Covered int
	// Value is the mean minibatch OT cost, as in MinibatchResult.
	Value float64
}

// MinibatchBarycentricMap returns the barycentric map of the minibatch
// transport plan estimator of Fatras et al. (AISTATS 2020, eq. 6) onto the
// target points Y, as BarycentricMap(MinibatchPlan(X, Y, opts).Plan, Y)
// would, but streaming: each pair's plan is folded into a numerator
// sum_j Π_ij y_j and a mass sum_j Π_ij per source point as soon as it is
// solved, so memory is O((n + m) d) plus the workers' minibatch buffers,
// whatever K, and the plan is never stored or sorted. This is the
// colour-transfer computation of the paper (n pixels, K pairs of M
// pixels); with the dense plans of the "sinkhorn" solver it is the only
// way, since MinibatchPlan would hold K·M² entries.
//
// Pairs are drawn and solved as in MinibatchWasserstein (opts.Grad is
// ignored), on opts.Workers goroutines, and folded in pair order, so the
// result does not depend on the number of workers. progress, if not nil,
// is called from the calling goroutine with the number of pairs folded so
// far, after every pair. Bad input is reported as by MinibatchWasserstein,
// an error wrapping ErrInput.
func MinibatchBarycentricMap(X, Y *mat.Dense, opts *MinibatchOptions, progress func(pairsDone int)) (*MinibatchMapResult, error) {
	s, err := MinibatchMapSums(X, Y, opts, progress)
	if err != nil {
		return nil, err
	}
	return s.Map(), nil
}

// MinibatchSums are the per-point sums behind the barycentric map of the
// minibatch plan estimator, before normalisation: MinibatchMapSums computes
// them for some of the K pairs (opts.From and To), and the sums of shares
// that cover the K pairs once add up, element by element, to the sums of
// the full run. A job spread over several processes (package dist) adds
// its ranks' sums with one allreduce of Raw and calls Map.
type MinibatchSums struct {
	// Num (n×d) holds sum_j Π_ij y_j per source point i, and Mass[i]
	// holds sum_j Π_ij, both summed over the pairs solved, the plans Π of
	// the pairs having total mass 1 (not yet divided by K).
	Num  *mat.Dense
	Mass []float64
	// Cost is the sum of the OT costs of the pairs solved.
	Cost float64
	// K is the number of pairs of the whole estimator (opts.K).
	K int
}

// MinibatchMapSums returns the unnormalised sums of MinibatchBarycentricMap
// over the pairs opts.From, ..., opts.To-1 (all K pairs when To is 0),
// each pair drawn and solved exactly as in the full run. progress, if not
// nil, is called with the number of this share's pairs folded so far.
func MinibatchMapSums(X, Y *mat.Dense, opts *MinibatchOptions, progress func(pairsDone int)) (*MinibatchSums, error) {
	r, err := newMinibatchRun(X, Y, opts)
	if err != nil {
		return nil, err
	}
	s := &MinibatchSums{Num: mat.NewDense(r.n, r.d, nil), Mass: make([]float64, r.n), K: r.o.K}
	err = r.run(func(k int, p *pairSlot) {
		s.Cost += p.cost
		for _, e := range p.entries {
			i := p.I[e.I]
			floats.AddScaled(s.Num.RawRowView(i), e.W, Y.RawRowView(p.J[e.J]))
			s.Mass[i] += e.W
		}
		if progress != nil {
			progress(k + 1 - r.first)
		}
	}, nil)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Raw returns the sums as one vector, to be added element-wise to another
// share's (an allreduce): Num row by row, then Mass, then Cost. It is a
// copy; SetRaw stores such a vector back.
func (s *MinibatchSums) Raw() []float64 {
	n, d := s.Num.Dims()
	out := make([]float64, 0, n*d+n+1)
	for i := 0; i < n; i++ {
		out = append(out, s.Num.RawRowView(i)...)
	}
	out = append(out, s.Mass...)
	return append(out, s.Cost)
}

// SetRaw stores a vector laid out as Raw's (of the same length) into s.
func (s *MinibatchSums) SetRaw(v []float64) {
	n, d := s.Num.Dims()
	if len(v) != n*d+n+1 {
		panic(fmt.Sprintf("ot: MinibatchSums.SetRaw of %d values, want %d", len(v), n*d+n+1))
	}
	for i := 0; i < n; i++ {
		copy(s.Num.RawRowView(i), v[i*d:(i+1)*d])
	}
	copy(s.Mass, v[n*d:n*d+n])
	s.Cost = v[n*d+n]
}

// Map normalises the sums into the barycentric map: the rows of Num
// divided by their Mass, Mass divided by K, Cost by K. It consumes s (its
// Num becomes the result's Map).
func (s *MinibatchSums) Map() *MinibatchMapResult {
	res := &MinibatchMapResult{Map: s.Num, Mass: s.Mass}
	K := float64(s.K)
	for i, w := range res.Mass {
		if w > 0 {
			floats.Scale(1/w, res.Map.RawRowView(i))
			res.Mass[i] = w / K
			res.Covered++
		}
	}
	res.Value = s.Cost / K
	s.Num, s.Mass = nil, nil
	return res
}
