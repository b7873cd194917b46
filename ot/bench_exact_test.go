package ot

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// benchClouds returns two independent clouds of n points drawn from
// N(0, I_d), as POT's peer script does (pot_ot.py, part emd).
func benchClouds(n, d int) (*mat.Dense, *mat.Dense) {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(d)))
	return randPoints(rng, n, d), randPoints(rng, n, d)
}

// BenchmarkEMD times EMD with uniform weights on the squared Euclidean cost
// of two Gaussian clouds; the cost matrix is computed outside the timed loop,
// as pot_ot.py times ot.emd separately from ot.dist.
func BenchmarkEMD(b *testing.B) {
	for _, d := range []int{2, 784} {
		for _, n := range []int{256, 500, 1000, 2000} {
			X, Y := benchClouds(n, d)
			if os.Getenv("OTGEN_POT_CLOUDS") != "" {
				X, Y = potClouds(b, n, d)
			}
			C, _ := SqEuclidean(X, Y)
			for _, force := range []bool{false, true} {
				name := fmt.Sprintf("d=%d/n=%d", d, n)
				if force {
					name += "/simplex"
				}
				b.Run(name, func(b *testing.B) {
					opts := &EMDOptions{ForceSimplex: force}
					for b.Loop() {
						if _, err := EMD(nil, nil, C, opts); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkAssignment times AssignmentSlice with a reused workspace on the
// squared Euclidean cost of two Gaussian clouds of 1000 points in 2-D.
func BenchmarkAssignment(b *testing.B) {
	const m = 1000
	X, Y := benchClouds(m, 2)
	C, _ := SqEuclidean(X, Y)
	data := C.RawMatrix().Data
	var ws AssignmentWorkspace
	for b.Loop() {
		if _, err := AssignmentSlice(m, data, &ws); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCost times the squared Euclidean cost matrix (POT: ot.dist).
func BenchmarkCost(b *testing.B) {
	for _, d := range []int{2, 784} {
		for _, n := range []int{1000, 2000} {
			X, Y := benchClouds(n, d)
			dst := mat.NewDense(n, n, nil)
			b.Run(fmt.Sprintf("d=%d/n=%d", d, n), func(b *testing.B) {
				for b.Loop() {
					if err := CostInto(dst, X, Y, 2); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
