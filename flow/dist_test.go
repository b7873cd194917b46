package flow

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"otgen/dist"
)

// TestFlowOnRanks: the pairs of every step spread over 2 and 3 in-process
// ranks (dist.NewLocal; the same code as under mpirun) move the particles
// as one process does, up to the order of the float sums, with the same
// losses and standard errors, and the ranks' particles are identical bit
// for bit. "iid" sampling makes pairs of different ranks share particles;
// K = 2 on 3 ranks leaves a rank without pairs.
func TestFlowOnRanks(t *testing.T) {
	X0, Y := blob(31, 120, 3, 0, 0.3), blob(32, 100, 3, 1, 0.2)
	for _, o := range []Options{
		{M: 20, K: 6, Steps: 8, LR: 0.2, Seed: 4},
		{M: 25, K: 7, Steps: 8, LR: 0.2, Seed: 5, Sampling: "iid"},
		{M: 40, K: 2, Steps: 5, LR: 0.3, Seed: 6, Lo: -0.2, Hi: 0.8},
	} {
		want := mat.DenseCopyOf(X0)
		var wantErr []float64
		wantLoss, err := Run(want, Y, o, func(s State) error { wantErr = append(wantErr, s.StdErr); return nil })
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{2, 3} {
			parts := make([]*mat.Dense, n)
			losses := make([][]float64, n)
			stdErrs := make([][]float64, n)
			errs, err := dist.RunLocal(n, func(c *dist.Comm) error {
				r := c.Rank()
				parts[r] = mat.DenseCopyOf(X0)
				oc := o
				oc.Comm = c
				var err error
				losses[r], err = Run(parts[r], Y, oc, func(s State) error { stdErrs[r] = append(stdErrs[r], s.StdErr); return nil })
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for r := 0; r < n; r++ {
				if errs[r] != nil {
					t.Fatalf("K %d, %d ranks: rank %d: %v", o.K, n, r, errs[r])
				}
				if !mat.Equal(parts[r], parts[0]) {
					t.Fatalf("K %d, %d ranks: the particles of ranks 0 and %d differ", o.K, n, r)
				}
				for s := range wantLoss {
					if !close(losses[r][s], wantLoss[s], 1e-10) || !close(stdErrs[r][s], wantErr[s], 1e-6) {
						t.Fatalf("K %d, %d ranks: rank %d: step %d loss %v ± %v, one process %v ± %v",
							o.K, n, r, s, losses[r][s], stdErrs[r][s], wantLoss[s], wantErr[s])
					}
				}
			}
			if !mat.EqualApprox(parts[0], want, 1e-10) {
				t.Fatalf("K %d, %d ranks: the particles differ from one process's", o.K, n)
			}
		}
	}
}

// TestFlowOnRanksFailsTogether: a flow that diverges fails on every rank
// with the same error, naming each rank's failure, none left waiting.
func TestFlowOnRanksFailsTogether(t *testing.T) {
	X0, Y := blob(33, 40, 2, 0, 0.3), blob(34, 40, 2, 1e150, 1e150)
	errs, err := dist.RunLocal(2, func(c *dist.Comm) error {
		_, err := Run(mat.DenseCopyOf(X0), Y, Options{M: 10, K: 4, Steps: 6, LR: 1e10, Seed: 1, Comm: c}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for r, err := range errs {
		if err == nil || !dist.IsShared(err) || err.Error() != errs[0].Error() || !strings.Contains(err.Error(), "rank 1: flow: step") {
			t.Fatalf("rank %d: %v, want the same shared error on every rank", r, err)
		}
	}
}

func close(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))+1e-300
}
