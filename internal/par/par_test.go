package par

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// TestBlocksCoverEachIndexOnce: every index of [0, n) lies in exactly one
// block, blocks are at most block long, and w stays below workers, for
// serial and parallel runs and n not a multiple of block.
func TestBlocksCoverEachIndexOnce(t *testing.T) {
	for _, c := range []struct {
		n, block, workers int
		serial            bool
	}{{0, 4, 2, false}, {1, 4, 2, false}, {17, 4, 3, false}, {17, 4, 3, true}, {100, 1, 8, false}, {5, 10, 2, false}} {
		seen := make([]atomic.Int32, c.n)
		Blocks(c.n, c.block, c.workers, c.serial, func(lo, hi, w int) {
			if hi-lo > c.block || lo >= hi || w < 0 || w >= max(1, c.workers) {
				t.Errorf("%+v: block [%d, %d) on worker %d", c, lo, hi, w)
			}
			for i := lo; i < hi; i++ {
				seen[i].Add(1)
			}
		})
		for i := range seen {
			if k := seen[i].Load(); k != 1 {
				t.Errorf("%+v: index %d done %d times", c, i, k)
			}
		}
	}
}

// TestRowsCoverEachRowOnce: the bands of Rows and Elements cover every index exactly once, with 1 to 3 workers and
// sizes below and above the threshold.
func TestRowsCoverEachRowOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{1, 2, 5, 64, 65} {
			for _, size := range []int{n, 1 << 20} {
				hits := make([]int32, n)
				Rows(n, size, func(r0, r1 int) {
					for r := r0; r < r1; r++ {
						hits[r]++ // bands are disjoint: no race
					}
				})
				for r, h := range hits {
					if h != 1 {
						t.Fatalf("procs %d, n %d, size %d: row %d done %d times", procs, n, size, r, h)
					}
				}
			}
		}
		for _, n := range []int{1, 4095, 4097, 1 << 17, 1<<17 + 3} {
			hits := make([]int8, n)
			Elements(n, func(i0, i1 int) {
				for i := i0; i < i1; i++ {
					hits[i]++
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("procs %d, n %d: element %d done %d times", procs, n, i, h)
				}
			}
		}
	}
}
