package par

import (
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
