package ot

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestMinibatchSharesAddUp: the pairs spread over three shares (as ranks
// of a distributed job solve them) add up to the full estimator: value,
// gradients and plan, for every sampling.
func TestMinibatchSharesAddUp(t *testing.T) {
	X, Y := testCloud(71, 120, 3, 0), testCloud(72, 90, 3, 0.5)
	bounds := []int{0, 7, 8, 37} // shares of 7, 1 and 29 pairs
	for _, sampling := range []string{"iid", "epoch", "epoch-x"} {
		o := MinibatchOptions{M: 20, K: 37, Seed: 9, Grad: true, Sampling: sampling}
		full, err := MinibatchWasserstein(X, Y, &o)
		if err != nil {
			t.Fatal(err)
		}
		fullPlan, err := MinibatchPlan(X, Y, &o)
		if err != nil {
			t.Fatal(err)
		}
		value, meanSq := 0.0, 0.0
		gx, gy := mat.NewDense(120, 3, nil), mat.NewDense(90, 3, nil)
		weights := map[[2]int]float64{}
		for s := 0; s+1 < len(bounds); s++ {
			o.From, o.To = bounds[s], bounds[s+1]
			part, err := MinibatchWasserstein(X, Y, &o)
			if err != nil {
				t.Fatal(err)
			}
			if part.StdErr != 0 {
				t.Fatalf("%s: a share has StdErr %v, want 0", sampling, part.StdErr)
			}
			value += part.Value
			meanSq += part.MeanSquare
			gx.Add(gx, part.GradX)
			gy.Add(gy, part.GradY)
			p, err := MinibatchPlan(X, Y, &o)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Plan.Entries {
				weights[[2]int{e.I, e.J}] += e.W
			}
		}
		if math.Abs(value-full.Value) > 1e-12*math.Abs(full.Value) {
			t.Fatalf("%s: shares sum to %v, the full estimator is %v", sampling, value, full.Value)
		}
		if math.Abs(meanSq-full.MeanSquare) > 1e-12*full.MeanSquare {
			t.Fatalf("%s: shares' mean squares sum to %v, the full run's is %v", sampling, meanSq, full.MeanSquare)
		}
		if v := 37.0 / 36 * (full.MeanSquare - full.Value*full.Value); math.Abs(math.Sqrt(v/37)-full.StdErr) > 1e-9*full.StdErr {
			t.Fatalf("%s: StdErr %v, but MeanSquare and Value give %v", sampling, full.StdErr, math.Sqrt(v/37))
		}
		if !mat.EqualApprox(gx, full.GradX, 1e-12) || !mat.EqualApprox(gy, full.GradY, 1e-12) {
			t.Fatalf("%s: the shares' gradients do not add up to the full gradient", sampling)
		}
		if len(weights) != len(fullPlan.Plan.Entries) {
			t.Fatalf("%s: shares' plans have %d entries, the full plan %d", sampling, len(weights), len(fullPlan.Plan.Entries))
		}
		for _, e := range fullPlan.Plan.Entries {
			if w := weights[[2]int{e.I, e.J}]; math.Abs(w-e.W) > 1e-15 {
				t.Fatalf("%s: plan entry (%d, %d) is %v in the shares, %v in full", sampling, e.I, e.J, w, e.W)
			}
		}
	}
}

func TestMinibatchShareBadRange(t *testing.T) {
	X, Y := testCloud(73, 30, 2, 0), testCloud(74, 30, 2, 0)
	for _, r := range [][2]int{{-1, 3}, {3, 3}, {5, 2}, {0, 11}} {
		_, err := MinibatchWasserstein(X, Y, &MinibatchOptions{M: 5, K: 10, From: r[0], To: r[1]})
		if !errors.Is(err, ErrInput) {
			t.Fatalf("pairs [%d, %d) of 10: %v, want ErrInput", r[0], r[1], err)
		}
	}
}

// TestMinibatchMapSumsAddUp: the unnormalised map sums of shares of the
// pairs (as ranks compute them) add up to the full run's, and Map of the
// sum is MinibatchBarycentricMap up to the order of the additions.
func TestMinibatchMapSumsAddUp(t *testing.T) {
	X, Y := testCloud(75, 100, 3, 0), testCloud(76, 80, 3, 0.5)
	bounds := []int{0, 4, 5, 13}
	for _, sampling := range []string{"iid", "epoch-x"} {
		o := MinibatchOptions{M: 15, K: 13, Seed: 4, Sampling: sampling}
		full, err := MinibatchBarycentricMap(X, Y, &o, nil)
		if err != nil {
			t.Fatal(err)
		}
		var total []float64
		var sums *MinibatchSums
		for s := 0; s+1 < len(bounds); s++ {
			o.From, o.To = bounds[s], bounds[s+1]
			calls := 0
			part, err := MinibatchMapSums(X, Y, &o, func(done int) {
				calls++
				if done != calls {
					t.Fatalf("share [%d, %d): progress %d at call %d", o.From, o.To, done, calls)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if calls != o.To-o.From || part.K != 13 {
				t.Fatalf("share [%d, %d): %d progress calls, K %d", o.From, o.To, calls, part.K)
			}
			raw := part.Raw()
			if total == nil {
				total, sums = raw, part
				continue
			}
			for i, v := range raw {
				total[i] += v
			}
		}
		sums.SetRaw(total)
		got := sums.Map()
		if got.Covered != full.Covered || math.Abs(got.Value-full.Value) > 1e-12*full.Value {
			t.Fatalf("%s: covered %d value %v from the shares, %d %v in full", sampling, got.Covered, got.Value, full.Covered, full.Value)
		}
		if !mat.EqualApprox(got.Map, full.Map, 1e-12) {
			t.Fatalf("%s: the shares' map differs from the full map", sampling)
		}
		for i := range full.Mass {
			if math.Abs(got.Mass[i]-full.Mass[i]) > 1e-15 {
				t.Fatalf("%s: mass %d is %v from the shares, %v in full", sampling, i, got.Mass[i], full.Mass[i])
			}
		}
	}
}
