package ot

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The streaming map must be the barycentric map of MinibatchPlan's
// estimator, for every solver, with the same uncovered rows.
func TestMinibatchBarycentricMapMatchesPlan(t *testing.T) {
	X, Y := testCloud(71, 90, 3, 0), testCloud(72, 70, 3, 1.5)
	x1, y1 := randVec(73, 90, 1, 0), randVec(74, 70, 2, 1)
	for _, c := range []struct {
		name string
		X, Y *mat.Dense
		o    *MinibatchOptions
	}{
		{"exact iid", X, Y, &MinibatchOptions{M: 10, K: 5, Seed: 3}},
		{"exact epoch-x", X, Y, &MinibatchOptions{M: 10, K: 12, Seed: 4, Sampling: "epoch-x"}},
		{"simplex", X, Y, &MinibatchOptions{M: 7, K: 9, Seed: 5, Solver: "simplex"}},
		{"sinkhorn", X, Y, &MinibatchOptions{M: 8, K: 6, Seed: 6, Solver: "sinkhorn", Eps: 0.5}},
		{"1d", mat.NewDense(90, 1, x1), mat.NewDense(70, 1, y1), &MinibatchOptions{M: 10, K: 4, Seed: 7, Solver: "1d"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			pl, err := MinibatchPlan(c.X, c.Y, c.o)
			if err != nil {
				t.Fatal(err)
			}
			want, werr := BarycentricMap(pl.Plan, c.Y)
			var unc *UncoveredError
			if werr != nil && !errors.As(werr, &unc) {
				t.Fatal(werr)
			}
			calls := 0
			got, err := MinibatchBarycentricMap(c.X, c.Y, c.o, func(done int) {
				calls++
				if done != calls {
					t.Errorf("progress(%d) at call %d", done, calls)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if calls != c.o.K {
				t.Errorf("progress called %d times, want K = %d", calls, c.o.K)
			}
			if math.Abs(got.Value-pl.Value) > 1e-12 {
				t.Errorf("value %v, MinibatchPlan %v", got.Value, pl.Value)
			}
			n, d := c.X.Dims()
			uncovered := map[int]bool{}
			if unc != nil {
				for _, i := range unc.Rows {
					uncovered[i] = true
				}
			}
			if got.Covered != n-len(uncovered) {
				t.Errorf("covered %d, want %d", got.Covered, n-len(uncovered))
			}
			for i := 0; i < n; i++ {
				if math.Abs(got.Mass[i]-pl.Rows[i]) > 1e-12 {
					t.Fatalf("mass[%d] = %v, plan row sum %v", i, got.Mass[i], pl.Rows[i])
				}
				if uncovered[i] != (got.Mass[i] == 0) {
					t.Fatalf("row %d: mass %v but uncovered by the plan: %v", i, got.Mass[i], uncovered[i])
				}
				for k := 0; k < d; k++ {
					if g, w := got.Map.At(i, k), want.At(i, k); math.Abs(g-w) > 1e-12 {
						t.Fatalf("T[%d,%d] = %v, want %v", i, k, g, w)
					}
				}
			}
		})
	}
}

// The result is the same for any number of workers, bit for bit.
func TestMinibatchBarycentricMapWorkers(t *testing.T) {
	X, Y := testCloud(75, 200, 3, 0), testCloud(76, 150, 3, 1)
	o := &MinibatchOptions{M: 20, K: 23, Seed: 9, Workers: 1}
	one, err := MinibatchBarycentricMap(X, Y, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Workers = 3
	three, err := MinibatchBarycentricMap(X, Y, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(one.Map, three.Map) || one.Value != three.Value {
		t.Fatal("1 and 3 workers differ")
	}
}

// With "epoch-x" sampling and K·M = n, every source point is drawn exactly
// once: all covered, every mass 1/n, and each image is a target point.
func TestMinibatchBarycentricMapEpochCoversAll(t *testing.T) {
	const n, M = 120, 15
	X, Y := testCloud(77, n, 2, 0), testCloud(78, 300, 2, 2)
	res, err := MinibatchBarycentricMap(X, Y, &MinibatchOptions{M: M, K: n / M, Seed: 2, Sampling: "epoch-x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Covered != n {
		t.Fatalf("covered %d of %d", res.Covered, n)
	}
	for i := 0; i < n; i++ {
		if math.Abs(res.Mass[i]-1.0/n) > 1e-15 {
			t.Fatalf("mass[%d] = %v, want 1/n", i, res.Mass[i])
		}
		found := false
		for j := 0; j < 300 && !found; j++ {
			found = mat.EqualApprox(res.Map.RowView(i), Y.RowView(j), 1e-14)
		}
		if !found {
			t.Fatalf("T(x_%d) = %v is not a target point", i, mat.Formatted(res.Map.RowView(i).T()))
		}
	}
}

// A minibatch plan that moves a cloud by a shift, with M = n, gives back
// the shift; with small M the map shrinks towards the target mean (the
// averaging that costs colour diversity in colour transfer).
func TestMinibatchBarycentricMapShrinksWithSmallM(t *testing.T) {
	const n = 64
	rng := rand.New(rand.NewPCG(8, 8))
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	X := mat.NewDense(n, 1, x)
	Y := mat.NewDense(n, 1, nil)
	for i := range x {
		Y.Set(i, 0, x[i]+5)
	}
	spread := func(M, K int) float64 {
		res, err := MinibatchBarycentricMap(X, Y, &MinibatchOptions{M: M, K: K, Seed: 1, Sampling: "epoch"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for i := 0; i < n; i++ {
			s += (res.Map.At(i, 0) - 5) * (res.Map.At(i, 0) - 5)
		}
		return s / n
	}
	full, small := spread(n, 1), spread(2, 32*50)
	varX := 0.0
	for _, v := range x {
		varX += v * v
	}
	varX /= n
	if math.Abs(full-varX) > 1e-9 {
		t.Errorf("M = n: mapped second moment %v, want the source's %v", full, varX)
	}
	if small > 0.5*full {
		t.Errorf("M = 2: mapped second moment %v, want well below %v", small, full)
	}
}

func TestMinibatchBarycentricMapBadInput(t *testing.T) {
	X, Y := testCloud(79, 10, 2, 0), testCloud(80, 8, 2, 0)
	for name, o := range map[string]MinibatchOptions{
		"M > m":    {M: 9, K: 1},
		"K = 0":    {M: 2, K: 0},
		"solver":   {M: 2, K: 1, Solver: "magic"},
		"sampling": {M: 2, K: 1, Sampling: "all"},
		"eps":      {M: 2, K: 1, Solver: "sinkhorn"},
	} {
		if _, err := MinibatchBarycentricMap(X, Y, &o, nil); !errors.Is(err, ErrInput) {
			t.Errorf("%s: error %v, want ErrInput", name, err)
		}
	}
	bad := mat.NewDense(3, 2, []float64{0, 0, math.NaN(), 1, 2, 2})
	if _, err := MinibatchBarycentricMap(bad, Y, &MinibatchOptions{M: 2, K: 1}, nil); !errors.Is(err, ErrInput) {
		t.Errorf("NaN point: %v", err)
	}
}
