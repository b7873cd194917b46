package ot

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// tieCost returns the squared distances between two clouds of clipped
// colour pixels (many identical points, many equal costs).
func tieCost(rng *rand.Rand, n int) *mat.Dense {
	pix := func() *mat.Dense {
		X := mat.NewDense(n, 3, nil)
		pal := make([]float64, 12)
		for i := range pal {
			pal[i] = rng.Float64()
		}
		for i := 0; i < n; i++ {
			k := rng.IntN(4)
			for c := 0; c < 3; c++ {
				X.Set(i, c, math.Min(1, math.Max(0, pal[3*k+c]+0.3*rng.NormFloat64())))
			}
		}
		return X
	}
	C, _ := SqEuclidean(pix(), pix())
	return C
}

// withMode runs f with assignMode set to mode.
func withMode(mode assignSolver, f func()) {
	old := assignMode
	assignMode = mode
	defer func() { assignMode = old }()
	f()
}

func TestAssignmentSparseMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(40, 41))
	var ws AssignmentWorkspace
	for _, n := range []int{1, 2, 5, 13, 64, 150, 500} {
		for kind := 0; kind < 5; kind++ {
			var C *mat.Dense
			switch kind {
			case 3:
				C = tieCost(rng, n)
			case 4:
				C, _ = SqEuclidean(randPoints(rng, n, 50), randPoints(rng, n, 50))
			default:
				C = randCost(rng, n, n, kind)
			}
			var dense, sparse *AssignmentResult
			withMode(assignDense, func() { dense, _ = Assignment(C) })
			withMode(assignSparse, func() {
				var err error
				if sparse, err = AssignmentSlice(n, C.RawMatrix().Data, &ws); err != nil {
					t.Fatal(err)
				}
			})
			if n >= 2 && kind != 3 {
				// The candidates suffice here: the sparse solver itself
				// must finish (no fallback).
				var w AssignmentWorkspace
				if !w.solveSparse(n, n, C.RawMatrix().Data) {
					t.Fatalf("n=%d kind %d: sparse solver gave up", n, kind)
				}
			}
			var simplex *AssignmentResult
			withMode(assignSimplex, func() { simplex, _ = Assignment(C) })
			checkAssignment(t, C, dense)
			checkAssignment(t, C, sparse) // dual feasible on the full matrix
			checkAssignment(t, C, simplex)
			if math.Abs(dense.Cost-sparse.Cost) > 1e-12*(1+dense.Cost) {
				t.Fatalf("n=%d kind %d: sparse %v, dense %v", n, kind, sparse.Cost, dense.Cost)
			}
			if math.Abs(dense.Cost-simplex.Cost) > 1e-12*(1+dense.Cost) {
				t.Fatalf("n=%d kind %d: simplex %v, dense %v", n, kind, simplex.Cost, dense.Cost)
			}
		}
	}
}

// TestAssignmentColourFallback runs the default solver on clipped colour
// pixels from different palettes, where the sparse candidates give up and
// the network simplex takes over, and on repeated calls with one workspace.
func TestAssignmentColourFallback(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 43))
	var ws AssignmentWorkspace
	for _, n := range []int{100, 400} {
		for trial := 0; trial < 3; trial++ {
			C, _ := SqEuclidean(colourPixels(rng, n), colourPixels(rng, n))
			var dense *AssignmentResult
			withMode(assignDense, func() { dense, _ = Assignment(C) })
			got, err := AssignmentSlice(n, C.RawMatrix().Data, &ws)
			if err != nil {
				t.Fatal(err)
			}
			checkAssignment(t, C, got)
			if math.Abs(dense.Cost-got.Cost) > 1e-12*(1+dense.Cost) {
				t.Fatalf("n=%d: default %v, dense %v", n, got.Cost, dense.Cost)
			}
		}
	}
}
