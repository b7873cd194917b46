package ot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The benchmarks mirror ../shared/peers/pot_ot.py (POT 0.8.2): same sizes,
// same distributions (not the same random numbers), same solver settings.

// BenchmarkSinkhorn: x, y ~ N(0, I_d), n points each, uniform weights,
// C = squared Euclidean, eps = 0.05 · median(C), at most 1000 iterations,
// stop at marginal error 1e-9 (POT: L2 norm checked every 10 iterations;
// here the stricter L1 norm, checked every iteration). "plain" disables
// epsilon-scaling, as POT's ot.sinkhorn; "scaled" is the default.
func BenchmarkSinkhorn(b *testing.B) {
	for _, d := range []int{2, 784} {
		for _, n := range []int{500, 1000, 2000} {
			X, Y := potClouds(b, n, d)
			C, _ := Cost(X, Y, 2)
			eps := 0.05 * median(C.RawMatrix().Data)
			for _, mode := range []string{"plain", "scaled"} {
				o := &SinkhornOptions{MaxIter: 1000, Tol: 1e-9, NoScaling: mode == "plain", Workers: benchWorkers}
				b.Run(fmt.Sprintf("d=%d/n=%d/%s", d, n, mode), func(b *testing.B) {
					var res *SinkhornResult
					for b.Loop() {
						var err error
						res, err = Sinkhorn(nil, nil, C, eps, o)
						if err != nil && !errors.Is(err, ErrNotConverged) {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(res.Log.Iterations), "iters")
					b.ReportMetric(res.Cost, "cost")
				})
			}
		}
	}
}

// potClouds returns the clouds of pot_ot.py (numpy RandomState(0), x then
// y, little-endian float64) from $OTGEN_POT_CLOUDS/{n}_{d}.bin when set, so
// that both sides solve the very same instances; otherwise clouds with the
// same distribution.
func potClouds(b *testing.B, n, d int) (*mat.Dense, *mat.Dense) {
	dir := os.Getenv("OTGEN_POT_CLOUDS")
	if dir == "" {
		return testCloud(1, n, d, 0), testCloud(2, n, d, 0)
	}
	raw, err := os.ReadFile(fmt.Sprintf("%s/%d_%d.bin", dir, n, d))
	if err != nil || len(raw) != 16*n*d {
		b.Fatalf("POT clouds: %v (%d bytes)", err, len(raw))
	}
	v := make([]float64, 2*n*d)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return mat.NewDense(n, d, v[:n*d]), mat.NewDense(n, d, v[n*d:])
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkWasserstein1D: 10^6 points per side, x ~ N(0,1), y ~ N(1, 1.5²),
// W_2^2 (POT: ot.emd2_1d, ot.wasserstein_1d(p=2)) and the sparse monotone
// plan (POT: ot.emd_1d(dense=False)).
func BenchmarkWasserstein1D(b *testing.B) {
	const n = 1_000_000
	x, y := randVec(1, n, 1, 0), randVec(2, n, 1.5, 1)
	b.Run("W2", func(b *testing.B) {
		var w float64
		for b.Loop() {
			w, _ = Wasserstein1D(x, y, nil, nil, 2)
		}
		b.ReportMetric(w, "W2sq")
	})
	b.Run("plan", func(b *testing.B) {
		for b.Loop() {
			if _, err := Plan1D(x, y, nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// colourPixels mirrors make_pixels of pot_ot.py: an RGB cloud in [0,1]^3,
// a mixture of 8 coloured Gaussian blobs (std 0.08) with random palette and
// Dirichlet(1) weights, clipped to [0,1].
func colourPixels(rng *rand.Rand, n int) *mat.Dense {
	pal := make([]float64, 24)
	for i := range pal {
		pal[i] = rng.Float64()
	}
	w := make([]float64, 8)
	s := 0.0
	for i := range w {
		w[i] = rng.ExpFloat64()
		s += w[i]
	}
	X := mat.NewDense(n, 3, nil)
	for i := 0; i < n; i++ {
		u, k := rng.Float64()*s, 0
		for k < 7 && u > w[k] {
			u -= w[k]
			k++
		}
		for c := 0; c < 3; c++ {
			X.Set(i, c, math.Min(1, math.Max(0, pal[3*k+c]+0.08*rng.NormFloat64())))
		}
	}
	return X
}

// colourSolver is the per-pair solver of BenchmarkColourTransfer
// ($OTGEN_COLOUR_SOLVER, default "exact": the sparse assignment solver,
// which falls back to the network simplex by itself on clustered colours).
var colourSolver = func() Method {
	if s := os.Getenv("OTGEN_COLOUR_SOLVER"); s != "" {
		return Method(s)
	}
	return "exact"
}()

// BenchmarkColourTransfer is pot_ot.py's colour job: 10^6 source and
// target pixels, 1000 minibatch pairs of 1000 pixels (source minibatches
// are chunks of a random permutation, target minibatches independent
// random subsets: Sampling "epoch-x"), squared Euclidean cost, exact OT per
// pair, the minibatch plan accumulated and the barycentric map applied
// (uncovered pixels keep their colour).
func BenchmarkColourTransfer(b *testing.B) {
	const N = 1_000_000
	rng := rand.New(rand.NewPCG(0, 1))
	Xs, Xt := colourPixels(rng, N), colourPixels(rng, N)
	for b.Loop() {
		res, err := MinibatchPlan(Xs, Xt, &MinibatchOptions{M: 1000, K: 1000, Seed: 1, Sampling: "epoch-x", Solver: colourSolver})
		if err != nil {
			b.Fatal(err)
		}
		T, err := BarycentricMap(res.Plan, Xt)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.Value, "meanW2sq")
		b.ReportMetric(T.At(0, 0), "T00")
	}
}

// benchWorkers is the Workers option of BenchmarkSinkhorn
// ($OTGEN_SINKHORN_WORKERS, default 0 = all cores).
var benchWorkers = func() int {
	var w int
	fmt.Sscan(os.Getenv("OTGEN_SINKHORN_WORKERS"), &w)
	return w
}()
