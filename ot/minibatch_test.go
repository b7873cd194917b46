package ot

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestMinibatchFullBatchIsExact(t *testing.T) {
	X, Y := testCloud(61, 40, 2, 0), testCloud(62, 40, 2, 1)
	ex, err := EMD(nil, nil, mustCost(t, X, Y), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := MinibatchWasserstein(X, Y, &MinibatchOptions{M: 40, K: 1})
	if err != nil || math.Abs(res.Value-ex.Cost) > 1e-12 {
		t.Fatalf("M=n, K=1: %v, exact W %v (%v)", res.Value, ex.Cost, err)
	}
	sk, err := Sinkhorn(nil, nil, mustCost(t, X, Y), 0.5, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err = MinibatchWasserstein(X, Y, &MinibatchOptions{M: 40, K: 1, Solver: "sinkhorn", Eps: 0.5})
	if err != nil || math.Abs(res.Value-sk.Dual) > 1e-12 {
		t.Fatalf("sinkhorn M=n, K=1: %v, OT_eps %v (%v)", res.Value, sk.Dual, err)
	}
	x, y := randVec(63, 30, 1, 0), randVec(64, 30, 1, 1)
	w, _ := Wasserstein1D(x, y, nil, nil, 2)
	res, err = MinibatchWasserstein(mat.NewDense(30, 1, x), mat.NewDense(30, 1, y), &MinibatchOptions{M: 30, K: 1, Solver: "1d"})
	if err != nil || math.Abs(res.Value-w) > 1e-12 {
		t.Fatalf("1d: %v vs %v (%v)", res, w, err)
	}
}

// combinations returns all k-subsets of 0..n-1.
func combinations(n, k int) [][]int {
	var out [][]int
	var rec func(start int, cur []int)
	rec = func(start int, cur []int) {
		if len(cur) == k {
			out = append(out, append([]int(nil), cur...))
			return
		}
		for i := start; i < n; i++ {
			rec(i+1, append(cur, i))
		}
	}
	rec(0, nil)
	return out
}

func TestMinibatchIncompleteMatchesComplete(t *testing.T) {
	// n = 6 points on each side, minibatches of m = 3: the complete
	// estimator of eq. (3) averages all C(6,3)² = 400 pairs; the incomplete
	// estimator of eq. (4) is unbiased for it.
	const n, M = 6, 3
	X, Y := testCloud(65, n, 2, 0), testCloud(66, n, 2, 1)
	C := mustCost(t, X, Y)
	subsets := combinations(n, M)
	complete := 0.0
	for _, I := range subsets {
		for _, J := range subsets {
			sub := mat.NewDense(M, M, nil)
			for a, i := range I {
				for b, j := range J {
					sub.Set(a, b, C.At(i, j))
				}
			}
			ex, err := EMD(nil, nil, sub, nil)
			if err != nil {
				t.Fatal(err)
			}
			complete += ex.Cost
		}
	}
	complete /= float64(len(subsets) * len(subsets))
	const seeds = 20000
	vals := make([]float64, seeds)
	mean := 0.0
	for s := range vals {
		res, err := MinibatchWasserstein(X, Y, &MinibatchOptions{M: M, K: 5, Seed: uint64(s)})
		if err != nil {
			t.Fatal(err)
		}
		vals[s] = res.Value
		mean += res.Value
	}
	mean /= seeds
	v := 0.0
	for _, x := range vals {
		v += (x - mean) * (x - mean)
	}
	se := math.Sqrt(v / (seeds - 1) / seeds)
	t.Logf("complete %.6f, incomplete mean %.6f ± %.6f (SE over %d seeds)", complete, mean, se, seeds)
	if math.Abs(mean-complete) > 4*se {
		t.Fatalf("incomplete mean %v, complete %v, |diff| > 4 SE = %v", mean, complete, 4*se)
	}
}

func TestMinibatchWorkerInvariance(t *testing.T) {
	X, Y := testCloud(67, 200, 3, 0), testCloud(68, 150, 3, 0.5)
	for _, sampling := range []string{"iid", "epoch", "epoch-x"} {
		o := &MinibatchOptions{M: 20, K: 37, Seed: 5, Grad: true, Sampling: sampling, Workers: 1}
		r1, err := MinibatchWasserstein(X, Y, o)
		if err != nil {
			t.Fatal(err)
		}
		o.Workers = 4
		r4, err := MinibatchWasserstein(X, Y, o)
		if err != nil {
			t.Fatal(err)
		}
		if r1.Value != r4.Value || r1.StdErr != r4.StdErr || !mat.Equal(r1.GradX, r4.GradX) || !mat.Equal(r1.GradY, r4.GradY) {
			t.Fatalf("%s: workers 1 and 4 differ: %v %v", sampling, r1.Value, r4.Value)
		}
		p1, _ := MinibatchPlan(X, Y, &MinibatchOptions{M: 20, K: 37, Seed: 5, Sampling: sampling, Workers: 1})
		p4, _ := MinibatchPlan(X, Y, &MinibatchOptions{M: 20, K: 37, Seed: 5, Sampling: sampling, Workers: 4})
		if len(p1.Plan.Entries) != len(p4.Plan.Entries) {
			t.Fatal("plans differ")
		}
		for k := range p1.Plan.Entries {
			if p1.Plan.Entries[k] != p4.Plan.Entries[k] {
				t.Fatal("plans differ")
			}
		}
	}
}

func TestMinibatchPlanMarginalsAndSpread(t *testing.T) {
	const n = 120
	X, Y := testCloud(69, n, 2, 0), testCloud(70, n, 2, 1)
	prevNNZ, prevMax := 0, math.Inf(1)
	for _, M := range []int{120, 40, 10} {
		// K·M = 1200 is a multiple of n: every point is used 10 times.
		K := 1200 / M
		res, err := MinibatchPlan(X, Y, &MinibatchOptions{M: M, K: K, Seed: 3, Sampling: "epoch"})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if math.Abs(res.Rows[i]-1.0/n) > 1e-12 || math.Abs(res.Cols[i]-1.0/n) > 1e-12 {
				t.Fatalf("M=%d: marginals %v %v, want %v", M, res.Rows[i], res.Cols[i], 1.0/n)
			}
		}
		maxW := 0.0
		for k, e := range res.Plan.Entries {
			maxW = math.Max(maxW, e.W)
			if k > 0 && cmpEntry(res.Plan.Entries[k-1], e) >= 0 {
				t.Fatal("entries not sorted and merged")
			}
		}
		nnz := len(res.Plan.Entries)
		t.Logf("M=%d K=%d: nnz %d, max %.4g, value %.4f", M, K, nnz, maxW, res.Value)
		if nnz <= prevNNZ || maxW >= prevMax {
			t.Fatalf("M=%d: nnz %d (before %d), max %g (before %g): plan does not spread", M, nnz, prevNNZ, maxW, prevMax)
		}
		prevNNZ, prevMax = nnz, maxW
	}
	// iid sampling: marginals are 1/n in expectation only, but sum to 1.
	res, err := MinibatchPlan(X, Y, &MinibatchOptions{M: 10, K: 50, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := 0.0
	for _, v := range res.Rows {
		s += v
	}
	if math.Abs(s-1) > 1e-12 {
		t.Fatalf("total mass %v", s)
	}
}

// TestMinibatchGradient: the gradients of the estimator against central
// differences, for ground costs ‖x − y‖^p with p = 1 (minibatch-w on the
// toys), 2 and 3.
func TestMinibatchGradient(t *testing.T) {
	// With fixed index sets (same seed) and a unique optimal assignment per
	// pair, the estimator is smooth around X: finite differences agree.
	X, Y := testCloud(71, 15, 2, 0), testCloud(72, 12, 2, 1)
	for _, solver := range []Method{"exact", "simplex", "sinkhorn"} {
		for _, p := range []float64{1, 2, 3} {
			o := &MinibatchOptions{M: 6, K: 9, Seed: 11, Grad: true, P: p, Solver: solver, Eps: 5,
				Sinkhorn: &SinkhornOptions{Tol: 1e-10, MaxIter: 100000}}
			res, err := MinibatchWasserstein(X, Y, o)
			if err != nil {
				t.Fatal(err)
			}
			o.Grad = false
			const h = 1e-6
			for _, c := range []struct {
				name string
				P, G *mat.Dense
			}{{"X", X, res.GradX}, {"Y", Y, res.GradY}} {
				r, d := c.P.Dims()
				for i := 0; i < r; i++ {
					for k := 0; k < d; k++ {
						v0 := c.P.At(i, k)
						c.P.Set(i, k, v0+h)
						up, err1 := MinibatchWasserstein(X, Y, o)
						c.P.Set(i, k, v0-h)
						dn, err2 := MinibatchWasserstein(X, Y, o)
						if err1 != nil || err2 != nil {
							t.Fatal(err1, err2)
						}
						c.P.Set(i, k, v0)
						fd := (up.Value - dn.Value) / (2 * h)
						if g := c.G.At(i, k); math.Abs(g-fd) > 1e-6+1e-5*math.Abs(fd) {
							t.Fatalf("%s p=%v Grad%s[%d,%d] = %.10g, finite difference %.10g", solver, p, c.name, i, k, g, fd)
						}
					}
				}
			}
		}
	}
}

func TestMinibatchBadInput(t *testing.T) {
	X, Y := testCloud(1, 10, 2, 0), testCloud(2, 8, 2, 0)
	for name, o := range map[string]MinibatchOptions{
		"M > m":    {M: 9, K: 1},
		"M = 0":    {M: 0, K: 1},
		"K = 0":    {M: 2, K: 0},
		"solver":   {M: 2, K: 1, Solver: "nope"},
		"eps":      {M: 2, K: 1, Solver: "sinkhorn"},
		"1d":       {M: 2, K: 1, Solver: "1d"},
		"sampling": {M: 2, K: 1, Sampling: "x"},
		"P":        {M: 2, K: 1, P: -1},
	} {
		if _, err := MinibatchWasserstein(X, Y, &o); !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := MinibatchPlan(X, Y, &o); !errors.Is(err, ErrInput) {
			t.Errorf("plan %s: %v", name, err)
		}
	}
	bad := mat.DenseCopyOf(X)
	bad.Set(3, 1, math.NaN())
	if _, err := MinibatchWasserstein(bad, Y, &MinibatchOptions{M: 2, K: 1}); !errors.Is(err, ErrInput) {
		t.Error(err)
	}
}
