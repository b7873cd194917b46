package sgemm

import (
	"runtime"
	"sync"
	"unsafe"
)

// problem holds the arguments of one Sgemm call after the checks.
type problem struct {
	aT, bT   bool
	m, n, k  int
	alpha    float32
	a        []float32
	lda      int
	b        []float32
	ldb      int
	beta     float32
	c        []float32
	ldc      int
	kern     *kernel
	parallel bool
}

// minParallelFlops is the size of product (2·m·n·k) below which Sgemm runs
// on the calling goroutine only: starting and joining goroutines costs a few
// microseconds, the time of ~1 MFLOP here.
const minParallelFlops = 4 << 20

// gemm computes C = alpha·op(A)·op(B) + beta·C with kernel kern, k > 0 and
// alpha ≠ 0, splitting C into bands of rows (or of columns when there are
// too few rows) over GOMAXPROCS goroutines.
func gemm(kern *kernel, p *problem) {
	p.kern = kern
	workers := runtime.GOMAXPROCS(0)
	if flops := 2 * float64(p.m) * float64(p.n) * float64(p.k); flops < minParallelFlops {
		workers = 1
	}
	rowTiles := (p.m + kern.mr - 1) / kern.mr
	colTiles := (p.n + kern.nr - 1) / kern.nr
	// Split the dimension with more tiles, so that the bands are balanced.
	byRows := rowTiles >= colTiles || rowTiles >= 4*workers
	tiles := colTiles
	if byRows {
		tiles = rowTiles
	}
	workers = min(workers, tiles)
	if workers <= 1 {
		run(p, 0, p.m, 0, p.n)
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		t0, t1 := w*tiles/workers, (w+1)*tiles/workers
		i0, i1, j0, j1 := 0, p.m, 0, p.n
		if byRows {
			i0, i1 = t0*kern.mr, min(t1*kern.mr, p.m)
		} else {
			j0, j1 = t0*kern.nr, min(t1*kern.nr, p.n)
		}
		if w == workers-1 {
			run(p, i0, i1, j0, j1)
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(p, i0, i1, j0, j1)
		}()
	}
	wg.Wait()
}

// workspace holds the packing buffers of one goroutine.
type workspace struct {
	a, b, tile []float32
	mem        []float32 // backing store of a, b and tile
}

// Bounds on the kernels' block sizes, for the workspace.
const (
	maxMR, maxNR, maxKC, maxNC = 16, 32, 512, 1024
)

var workspaces = sync.Pool{New: func() any { return newWorkspace() }}

func newWorkspace() *workspace {
	// Each buffer starts on a 64-byte boundary (a cache line, a ZMM load).
	const align = 16 // float32s
	na, nb, nt := maxMR*maxKC, maxKC*maxNC, maxMR*maxNR
	mem := make([]float32, na+nb+nt+3*align)
	off := 0
	take := func(n int) []float32 {
		for uintptr(unsafe.Pointer(&mem[off]))%(4*align) != 0 {
			off++
		}
		s := mem[off : off+n : off+n]
		off += n
		return s
	}
	return &workspace{a: take(na), b: take(nb), tile: take(nt), mem: mem}
}

// run computes the block rows [i0, i1) × columns [j0, j1) of C.
//
// Loops, outermost first: columns in blocks of nc; the depth in blocks of kc
// (the kc×nc block of B is packed into micro-panels of nr columns, to stay in
// L2); rows in micro-panels of mr (packed, to stay in L1); columns in
// micro-panels of nr, one kernel call per mr×nr tile.
func run(p *problem, i0, i1, j0, j1 int) {
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	kern := p.kern
	mr, nr := kern.mr, kern.nr
	for jc := j0; jc < j1; jc += kern.nc {
		nc := min(kern.nc, j1-jc)
		for pc := 0; pc < p.k; pc += kern.kc {
			kc := min(kern.kc, p.k-pc)
			beta := p.beta
			if pc > 0 {
				beta = 1
			}
			packB(ws.b, p, pc, kc, jc, nc, nr)
			for ic := i0; ic < i1; ic += mr {
				rows := min(mr, i1-ic)
				packA(ws.a, p, ic, rows, pc, kc, mr)
				for jr := 0; jr < nc; jr += nr {
					cols := min(nr, nc-jr)
					bp := &ws.b[jr*kc]
					if rows == mr && cols == nr {
						kern.fn(kc, &ws.a[0], bp, &p.c[ic*p.ldc+jc+jr], p.ldc, p.alpha, beta)
						continue
					}
					kern.fn(kc, &ws.a[0], bp, &ws.tile[0], nr, 1, 0)
					merge(p.c[ic*p.ldc+jc+jr:], p.ldc, ws.tile, nr, rows, cols, p.alpha, beta)
				}
			}
		}
	}
}

// merge sets the rows×cols block c = alpha·t + beta·c, not reading c when
// beta is 0.
func merge(c []float32, ldc int, t []float32, ldt, rows, cols int, alpha, beta float32) {
	for r := 0; r < rows; r++ {
		cr := c[r*ldc : r*ldc+cols]
		tr := t[r*ldt : r*ldt+cols]
		if beta == 0 {
			for j, v := range tr {
				cr[j] = alpha * v
			}
			continue
		}
		for j, v := range tr {
			cr[j] = alpha*v + beta*cr[j]
		}
	}
}
