package ot

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// SlicedWasserstein returns the sliced Wasserstein distance
//
//	SW_p = ( (1/L) sum_{l=1..L} W_p^p(θ_l# μ, θ_l# ν) )^{1/p}
//
// between μ = sum_i a_i δ_{x_i} (rows of X) and ν = sum_j b_j δ_{y_j} (rows of
// Y) over L = nProj random directions θ_l drawn uniformly on the unit sphere
// (normalised Gaussian vectors), like POT's ot.sliced_wasserstein_distance
// (Rabin, Peyré, Delon, Bernot, "Wasserstein barycenter and its application
// to texture mixing", SSVM 2011; Bonneel, Rabin, Peyré, Pfister, "Sliced and
// Radon Wasserstein barycenters of measures", JMIV 2015). Each 1-D problem is
// solved exactly by Wasserstein1D. A nil a or b means uniform weights.
//
// Direction l is drawn from a PCG generator seeded with (seed, l), and the
// projections run in parallel on all cores but are summed in order, so the
// result depends only on the input and the seed. Bad input (empty or
// non-finite points, different dimensions, bad weights, nProj <= 0, p <= 0)
// is an error wrapping ErrInput.
func SlicedWasserstein(X, Y *mat.Dense, a, b []float64, nProj int, p float64, seed uint64) (float64, error) {
	if nProj <= 0 {
		return 0, inputErrorf("sliced: nProj = %d, want positive", nProj)
	}
	if err := checkPoints(X, Y, 1); err != nil {
		return 0, fmt.Errorf("sliced: %w", err)
	}
	n, d := X.Dims()
	m, _ := Y.Dims()
	zero := make([]float64, 1)
	if err := check1D(zero, zero, nil, nil, p); err != nil {
		return 0, fmt.Errorf("sliced: %w", err)
	}
	if (a != nil && len(a) != n) || (b != nil && len(b) != m) {
		return 0, inputErrorf("sliced: %d and %d points but len(a) = %d, len(b) = %d", n, m, len(a), len(b))
	}
	aa, bb := a, b
	if aa == nil {
		aa = Uniform(n)
	}
	if bb == nil {
		bb = Uniform(m)
	}
	if err := checkBalanced(aa, bb); err != nil {
		return 0, fmt.Errorf("sliced: %w", err)
	}
	vals := make([]float64, nProj)
	workers := min(runtime.GOMAXPROCS(0), nProj)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var ws w1dWork
			theta := make([]float64, d)
			px, py := make([]float64, n), make([]float64, m)
			src := rand.NewPCG(0, 0)
			rng := rand.New(src)
			for l := w; l < nProj; l += workers {
				src.Seed(seed, uint64(l))
				randomDirection(rng, theta)
				project(px, X, theta)
				project(py, Y, theta)
				vals[l] = ws.cost(px, py, a, b, p)
			}
		}(w)
	}
	wg.Wait()
	s := 0.0
	for _, v := range vals {
		s += v
	}
	return math.Pow(s/float64(nProj), 1/p), nil
}

// randomDirection fills theta with a uniform random unit vector.
func randomDirection(rng *rand.Rand, theta []float64) {
	for {
		for k := range theta {
			theta[k] = rng.NormFloat64()
		}
		if nrm := floats.Norm(theta, 2); nrm > 0 {
			floats.Scale(1/nrm, theta)
			return
		}
	}
}

// project sets dst_i = <X_i, theta>.
func project(dst []float64, X *mat.Dense, theta []float64) {
	for i := range dst {
		dst[i] = floats.Dot(X.RawRowView(i), theta)
	}
}
