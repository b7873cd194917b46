// Package par runs independent blocks of work on several goroutines.
package par

import (
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
