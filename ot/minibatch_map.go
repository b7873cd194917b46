package ot

import (
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
	r, err := newMinibatchRun(X, Y, opts)
	if err != nil {
		return nil, err
	}
	res := &MinibatchMapResult{
		Map:  mat.NewDense(r.n, r.d, nil),
		Mass: make([]float64, r.n),
	}
	sum := 0.0
	err = r.run(func(k int, s *pairSlot) {
		sum += s.cost
		for _, e := range s.entries {
			i := s.I[e.I]
			floats.AddScaled(res.Map.RawRowView(i), e.W, Y.RawRowView(s.J[e.J]))
			res.Mass[i] += e.W
		}
		if progress != nil {
			progress(k + 1)
		}
	}, nil)
	if err != nil {
		return nil, err
	}
	K := float64(r.o.K)
	for i, w := range res.Mass {
		if w > 0 {
			floats.Scale(1/w, res.Map.RawRowView(i))
			res.Mass[i] = w / K
			res.Covered++
		}
	}
	res.Value = sum / K
	return res, nil
}
