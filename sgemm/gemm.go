package sgemm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// problem holds the arguments of one Sgemm call after the checks.
type problem struct {
	aT, bT  bool
	m, n, k int
	alpha   float32
	a       []float32
	lda     int
	b       []float32
	ldb     int
	beta    float32
	c       []float32
	ldc     int
	ch      *chain    // the kernels for this A
	bp      []float32 // op(B) packed (see packB), or nil to read B in place
}

// minParallelFlops is the size of product (2·m·n·k) below which Sgemm runs
// on the calling goroutine only (about 40 µs on one core here): starting
// and joining goroutines costs a few microseconds.
const minParallelFlops = 4 << 20

// job is one product: its problem and the state its goroutines share.
// Sgemm takes jobs from a pool, so that a product allocates nothing (the
// conv ops run hundreds per training step).
type job struct {
	p                   problem
	colTiles, tiles     int
	bands               int
	byRows              bool
	nextPanel, nextBand atomic.Int32
	packed, done        sync.WaitGroup
}

var jobs = sync.Pool{New: func() any { return new(job) }}

// gemm computes C = alpha·op(A)·op(B) + beta·C for j.p with kernel kern,
// k > 0 and alpha ≠ 0. Large products are cut into bands of rows (or of
// columns when there are too few rows), a few per goroutine, that
// GOMAXPROCS goroutines take in turn: on a shared machine a goroutine
// whose thread is descheduled does not hold the others up for its whole
// share. When B is packed, the goroutines first pack all of it together,
// each micro-panel once.
func gemm(kern *kernel, j *job) {
	p := &j.p
	p.ch = &kern.rows
	if p.aT {
		p.ch = &kern.steps
	}
	mr, nr := p.ch.ks[0].mr, p.ch.ks[0].nr
	workers := runtime.GOMAXPROCS(0)
	if flops := 2 * float64(p.m) * float64(p.n) * float64(p.k); flops < minParallelFlops {
		workers = 1
	}
	rowTiles := (p.m + mr - 1) / mr
	colTiles := (p.n + nr - 1) / nr
	if p.bT || rowTiles >= packBPanels && p.ldb >= packBMinLd {
		buf := packBuffers.Get().(*[]float32)
		defer packBuffers.Put(buf)
		if n := colTiles * nr * p.k; cap(*buf) < n {
			*buf = make([]float32, n)
		}
		p.bp = (*buf)[:colTiles*nr*p.k]
	}
	// Split the dimension with more tiles, so that the bands are balanced.
	byRows := rowTiles >= colTiles || rowTiles >= 4*workers
	tiles := colTiles
	if byRows {
		tiles = rowTiles
	}
	if workers = min(workers, tiles); workers <= 1 {
		if p.bp != nil {
			for c := 0; c < colTiles; c++ {
				packB(p, c)
			}
		}
		run(p, 0, p.m, 0, p.n)
		return
	}
	// Bands of at least minBandTiles tiles, up to bandsPerWorker per worker.
	j.colTiles, j.tiles, j.byRows = colTiles, tiles, byRows
	j.bands = max(min(tiles/minBandTiles, bandsPerWorker*workers), workers)
	j.nextPanel.Store(0)
	j.nextBand.Store(0)
	j.packed.Add(workers)
	j.done.Add(workers - 1)
	for range workers - 1 {
		go j.helper()
	}
	j.work()
	j.done.Wait()
}

// helper is work on a goroutine of its own.
func (j *job) helper() {
	defer j.done.Done()
	j.work()
}

// work packs the next micro-panels of B until none is left, waits for the
// other goroutines to finish packing, and computes the next bands of C
// until none is left.
func (j *job) work() {
	p := &j.p
	mr, nr := p.ch.ks[0].mr, p.ch.ks[0].nr
	if p.bp != nil {
		for c := int(j.nextPanel.Add(1)) - 1; c < j.colTiles; c = int(j.nextPanel.Add(1)) - 1 {
			packB(p, c)
		}
	}
	j.packed.Done()
	j.packed.Wait()
	for w := int(j.nextBand.Add(1)) - 1; w < j.bands; w = int(j.nextBand.Add(1)) - 1 {
		t0, t1 := w*j.tiles/j.bands, (w+1)*j.tiles/j.bands
		if j.byRows {
			run(p, t0*mr, min(t1*mr, p.m), 0, p.n)
		} else {
			run(p, 0, p.m, t0*nr, min(t1*nr, p.n))
		}
	}
}

// bandsPerWorker and minBandTiles shape the parallel split: more bands
// balance the load better, at the cost of reading B once per band.
const (
	bandsPerWorker = 4
	minBandTiles   = 8
)

// A row-major B is packed rather than read in place when at least
// packBPanels micro-panels of A reuse it and its rows are at least
// packBMinLd values apart: packing costs a copy, reading in place suffers
// from cache-set conflicts and TLB misses when the rows lie far apart
// (measured on the conv-layer shapes: in place is 5-20% faster for B with
// 128 columns or few panels, packing 5-10% faster for B with 512 to 4096
// columns and hundreds of panels). A transposed B is always packed. The
// tests change them to cover both paths.
var (
	packBPanels = 32
	packBMinLd  = 512
)

// packBuffers holds the buffers of packed B (each a copy of a B, padded to
// whole micro-panels) between calls.
var packBuffers = sync.Pool{New: func() any { return new([]float32) }}

// workspace holds the buffers of one goroutine.
type workspace struct {
	a     []float32 // the last rows of A, when fewer than mr, zero-padded
	bedge []float32 // the last columns of B read in place, when fewer than nr: kc steps of nr values
	tile  []float32 // an mr×nr tile of C at the edges
	mem   []float32 // backing store of the buffers
}

// Bounds on the kernels' block sizes, for the workspace.
const maxMR, maxNR, maxKC = 12, 64, 512

var workspaces = sync.Pool{New: func() any { return newWorkspace() }}

func newWorkspace() *workspace {
	// Each buffer starts on a 64-byte boundary (a cache line, a ZMM load).
	const align = 16 // float32s
	na, ne, nt := maxMR*maxKC, maxKC*maxNR, maxMR*maxNR
	mem := make([]float32, na+ne+nt+3*align)
	off := 0
	take := func(n int) []float32 {
		for uintptr(unsafe.Pointer(&mem[off]))%(4*align) != 0 {
			off++
		}
		s := mem[off : off+n : off+n]
		off += n
		return s
	}
	return &workspace{a: take(na), bedge: take(ne), tile: take(nt), mem: mem}
}

// run computes the block rows [i0, i1) × columns [j0, j1) of C, j0 a
// multiple of nr.
//
// Loops, outermost first: columns in blocks of nc; the depth in blocks of kc
// (the kc×nc block of B stays in L2); rows in micro-panels of mr (read in
// place from A; the mr×kc block stays in L1); columns in micro-panels of
// nr, one kernel call per mr×nr tile. Only the last rows of A and the last
// columns of an unpacked B, when fewer than a micro-panel, are copied to
// zero-padded buffers.
func run(p *problem, i0, i1, j0, j1 int) {
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	ch := p.ch
	mr, nr := ch.ks[0].mr, ch.ks[0].nr
	for jc := j0; jc < j1; jc += ch.nc {
		nc := min(ch.nc, j1-jc)
		rem := nc % nr // columns in the last, partial micro-panel
		for pc := 0; pc < p.k; pc += ch.kc {
			kc := min(ch.kc, p.k-pc)
			beta := p.beta
			if pc > 0 {
				beta = 1
			}
			if p.bp == nil && rem != 0 {
				packBEdge(ws.bedge, p, pc, kc, jc+nc-rem, rem, nr)
			}
			for ic := i0; ic < i1; ic += mr {
				rows := min(mr, i1-ic)
				var a []float32
				var lda int
				switch {
				case rows < mr:
					a, lda = packA(ws.a, p, ic, rows, pc, kc, mr)
				case p.aT:
					a, lda = p.a[pc*p.lda+ic:], p.lda
				default:
					a, lda = p.a[ic*p.lda+pc:], p.lda
				}
				for jr := 0; jr < nc; {
					// The widest kernel that fits the columns left, or the
					// narrowest one for the very last columns.
					left := nc - jr
					k := ch.ks[len(ch.ks)-1]
					for _, w := range ch.ks {
						if w.nr <= left {
							k = w
							break
						}
					}
					var b []float32
					ldb := nr
					switch j := jc + jr; {
					case p.bp != nil: // micro-panel j/nr, step pc, column j%nr
						b = p.bp[(j/nr*p.k+pc)*nr+j%nr:]
					case jr >= nc-rem:
						b = ws.bedge[jr-(nc-rem):]
					default:
						b, ldb = p.b[pc*p.ldb+j:], p.ldb
					}
					tileCall(ws, p, k, kc, a, lda, b, ldb, ic, jc+jr, rows, min(k.nr, left), beta)
					jr += k.nr
				}
			}
		}
	}
}

// tileCall runs micro-kernel k for the rows×cols block of C at (i, j):
// straight into C when the block is a whole mr×nr tile, else through
// ws.tile.
func tileCall(ws *workspace, p *problem, k micro, kc int, a []float32, lda int, b []float32, ldb int, i, j, rows, cols int, beta float32) {
	if rows == k.mr && cols == k.nr {
		k.fn(kc, &a[0], lda, &b[0], ldb, &p.c[i*p.ldc+j], p.ldc, p.alpha, beta)
		return
	}
	k.fn(kc, &a[0], lda, &b[0], ldb, &ws.tile[0], k.nr, 1, 0)
	merge(p.c[i*p.ldc+j:], p.ldc, ws.tile, k.nr, rows, cols, p.alpha, beta)
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
