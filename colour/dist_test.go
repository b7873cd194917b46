package colour

import (
	"testing"

	"otgen/dist"
)

// TestTransferOnRanks: the pairs spread over 2 and 3 ranks (in-process
// ranks of dist.NewLocal; the same code as under mpirun) give every rank
// the image of one process, up to the order of the float sums: every
// pixel drawn, the same cost, no channel more than one level off. With
// more ranks than pairs, the idle rank adds nothing.
func TestTransferOnRanks(t *testing.T) {
	src := testImage(21, 36, 24, coolPalette, 14)
	tgt := testImage(22, 30, 28, warmPalette, 14)
	for _, o := range []Options{{M: 50, Draws: 3, Seed: 5}, {M: 300, K: 2, Seed: 6}, {M: 60, Draws: 2, Seed: 7, Method: "sinkhorn", Eps: 0.02}} {
		want, err := Transfer(src, tgt, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{2, 3} {
			got := make([]*Result, n)
			pairs := make([]int, n)
			errs, err := dist.RunLocal(n, func(c *dist.Comm) error {
				oc := o
				oc.Comm = c
				oc.Progress = func(done, total int) { pairs[c.Rank()] = total }
				var err error
				got[c.Rank()], err = Transfer(src, tgt, oc)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			sum := 0
			for r, err := range errs {
				if err != nil {
					t.Fatalf("M %d, %d ranks: rank %d: %v", o.M, n, r, err)
				}
				sum += pairs[r]
			}
			if sum != want.K {
				t.Errorf("M %d, %d ranks: the ranks solved %v pairs, want %d in all", o.M, n, pairs, want.K)
			}
			for r, res := range got {
				if res.K != want.K || res.Covered != want.Covered || res.Extended != want.Extended {
					t.Fatalf("M %d, %d ranks: rank %d: K %d covered %d extended %d, one process: %d %d %d",
						o.M, n, r, res.K, res.Covered, res.Extended, want.K, want.Covered, want.Extended)
				}
				if d := res.Cost - want.Cost; d > 1e-12*want.Cost || d < -1e-12*want.Cost {
					t.Fatalf("M %d, %d ranks: rank %d: cost %v, one process %v", o.M, n, r, res.Cost, want.Cost)
				}
				if d, at := maxLevelDiff(res.Image.Pix, want.Image.Pix); d > 1 {
					t.Fatalf("M %d, %d ranks: rank %d: byte %d is %d levels off one process's image", o.M, n, r, at, d)
				}
				if string(res.Image.Pix) != string(got[0].Image.Pix) {
					t.Fatalf("M %d, %d ranks: ranks 0 and %d hold different images", o.M, n, r)
				}
			}
		}
	}
}

// maxLevelDiff returns the largest |a[i] - b[i]| and its index.
func maxLevelDiff(a, b []uint8) (int, int) {
	d, at := 0, -1
	for i := range a {
		if e := max(int(a[i])-int(b[i]), int(b[i])-int(a[i])); e > d {
			d, at = e, i
		}
	}
	return d, at
}
