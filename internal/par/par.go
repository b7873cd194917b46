// Package par runs independent blocks of work on several goroutines.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Blocks calls fn(lo, hi, w) for the consecutive blocks [lo, hi) of block
// indices of [0, n), on up to workers goroutines (w is the goroutine's
// index, for its scratch buffers), or on the calling one when serial is
// set. The goroutines take the next block as they go, so a descheduled
// thread holds nobody up; each block is done by exactly one call, so
// results written per index do not depend on the number of goroutines.
func Blocks(n, block, workers int, serial bool, fn func(lo, hi, w int)) {
	nb := (n + block - 1) / block
	if serial || workers <= 1 || nb <= 1 {
		for b := 0; b < nb; b++ {
			fn(b*block, min(n, (b+1)*block), 0)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(workers, nb); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := int(next.Add(1) - 1); b < nb; b = int(next.Add(1) - 1) {
				fn(b*block, min(n, (b+1)*block), w)
			}
		}()
	}
	wg.Wait()
}

// Rows calls f on GOMAXPROCS bands of the rows [0, n), one per goroutine,
// the calling goroutine taking the first, when the work (size elements) is
// large enough to pay for starting them (2¹⁶ elements), and f(0, n) on the
// calling goroutine otherwise. It suits rows of equal cost whose results
// do not depend on the split: a static split starts one goroutine fewer
// than Blocks and needs no counter.
func Rows(n, size int, f func(r0, r1 int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if size < 1<<16 || workers <= 1 {
		f(0, n)
		return
	}
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for r0 := per; r0 < n; r0 += per {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(r0, min(n, r0+per))
		}()
	}
	f(0, min(n, per))
	wg.Wait()
}

// Elements calls f on bands of [0, n), element-wise work, as Rows does
// (bands are whole blocks of 4,096 elements but the last).
func Elements(n int, f func(i0, i1 int)) {
	const blk = 4096
	Rows((n+blk-1)/blk, n, func(b0, b1 int) { f(b0*blk, min(n, b1*blk)) })
}
