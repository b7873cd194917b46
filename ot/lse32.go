package ot

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"

	"otgen/internal/par"
)

// The float32 source of the online solver: squared Euclidean costs
// recomputed block by block from the coordinates,
//
//	C_ij = |x_i|² + |y_j|² - 2 <x_i, y_j>,
//
// so that a block of costs is a small matrix product. In base 2,
//
//	LSE_j (log w_j + (pot_j - C_ij)/eps)
//	    = -|x_i|²/eps + ln2 · LSE2_j (h_j + (2 log2 e/eps) <x_i, y_j>),
//	h_j = log2 e · (log w_j + (pot_j - |y_j|²)/eps),
//
// a log-sum-exp of an affine function of the inner products, which the
// kernels reduce block by block (max-shifted by an estimate carried over
// from the previous sweep, re-shifted when the estimate is off) into
// float64 sums. Both clouds are translated by their common mean first
// (the costs do not change), which keeps the norms, and so the rounding of
// the inner products, small. Memory is O((n + m) d).

// blockCols is the number of columns of a block of the reduction (a
// multiple of 16).
const blockCols = 1024

// smallDim is the largest dimension reduced by the dot kernel, one row at
// a time; above it blocks of rows go through otgen/sgemm.
const smallDim = 32

// gemmRows and gemmCols are the block sizes of the otgen/sgemm path.
const (
	gemmRows = 64
	gemmCols = 256
)

// cloud32 is one point cloud, centred, in the layouts of the kernels.
type cloud32 struct {
	n, d, npad int
	rows       []float32 // n×d, row-major
	// panel holds the points in panels of 16: the coordinate k of point
	// j is at (j/16)·16d + 16k + j%16, zero padded (dot path).
	panel  []float32
	norms  []float64 // |x_i|² of the float32 coordinates
	normsF []float32 // the same, padded with zeros
}

func newCloud32(p Points32, mean []float64, transposed bool) *cloud32 {
	n, d := p.N, p.D
	c := &cloud32{n: n, d: d, npad: (n + 15) &^ 15}
	c.rows = make([]float32, n*d)
	c.norms = make([]float64, n)
	c.normsF = make([]float32, c.npad)
	for i := 0; i < n; i++ {
		s := 0.0
		for k := 0; k < d; k++ {
			v := float32(float64(p.Data[i*d+k]) - mean[k])
			c.rows[i*d+k] = v
			s += float64(v) * float64(v)
		}
		c.norms[i] = s
		c.normsF[i] = float32(s)
	}
	if transposed {
		c.panel = make([]float32, d*c.npad)
		for i := 0; i < n; i++ {
			for k := 0; k < d; k++ {
				c.panel[(i/16)*16*d+16*k+i%16] = c.rows[i*d+k]
			}
		}
	}
	return c
}

// work32 is the scratch space of one goroutine.
type work32 struct {
	xs    []float32 // scaled rows of a tile (dot path)
	shift []float32 // the tile rows' shifts
	sums  []rowSum  // and sums
	tile  []float32 // the inner products of a block
	e     []float32 // the exponentials of a block
	acc   []float32 // gradient block (rows × d)
}

// source32 is the float32 source between the rows of X and of Y (the same
// cloud when sym).
type source32 struct {
	X, Y    *cloud32
	k       kernels32
	workers int
	// hintR[i] (hintC[j]) is eps·LSE of row i (column j) at the last
	// sweep, from which the next sweep's shift is estimated (NaN:
	// unknown).
	hintR, hintC []float64
	h            []float32
	work         []*work32
	radius2      float64 // largest squared norm of a centred point
}

func newSource32(X, Y Points32, sym bool, k kernels32, workers int) *source32 {
	mean := make([]float64, X.D)
	clouds := []Points32{X}
	if !sym {
		clouds = append(clouds, Y)
	}
	count := 0
	for _, P := range clouds {
		count += P.N
		for i, v := range P.Data[:P.N*P.D] {
			mean[i%P.D] += float64(v)
		}
	}
	for k := range mean {
		mean[k] /= float64(count)
	}
	small := X.D <= smallDim
	s := &source32{k: k, workers: max(1, workers)}
	s.X = newCloud32(X, mean, small)
	s.Y = s.X
	if !sym {
		s.Y = newCloud32(Y, mean, small)
	}
	s.hintR = nanSlice(s.X.n)
	s.hintC = s.hintR
	if !sym {
		s.hintC = nanSlice(s.Y.n)
	}
	s.h = make([]float32, max(s.X.npad, s.Y.npad))
	s.work = make([]*work32, s.workers)
	for w := range s.work {
		wk := &work32{xs: make([]float32, lseBlock*X.D), shift: make([]float32, lseBlock), sums: make([]rowSum, lseBlock)}
		if small {
			wk.tile = make([]float32, blockCols)
			wk.e = make([]float32, blockCols)
		} else {
			wk.tile = make([]float32, gemmRows*gemmCols)
			wk.e = make([]float32, gemmRows*gemmCols)
		}
		s.work[w] = wk
	}
	for _, c := range []*cloud32{s.X, s.Y} {
		for _, v := range c.norms {
			s.radius2 = math.Max(s.radius2, v)
		}
	}
	return s
}

func nanSlice(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = math.NaN()
	}
	return x
}

func (s *source32) dims() (int, int) { return s.X.n, s.Y.n }

// costRange bounds the costs by the squared diameter (2r)².
func (s *source32) costRange() float64 { return 4 * s.radius2 }

func (s *source32) serial(R, C *cloud32) bool { return R.n*C.n < parallelMin }

// colTerms fills s.h with the column terms h_j of the columns of C.
func (s *source32) colTerms(C *cloud32, pot, logw []float64, eps float64) []float32 {
	h := s.h[:C.npad]
	for j := range h {
		h[j] = absent
	}
	for j, lw := range logw {
		if !math.IsInf(lw, -1) {
			h[j] = float32(math.Log2E * (lw + (pot[j]-C.norms[j])/eps))
		}
	}
	return h
}

// rowSum accumulates the block sums of one row in float64: sum·2^shift.
type rowSum struct {
	sum, shift float64
	max        float32
}

func (r *rowSum) add(s, shift float32) {
	switch {
	case s == 0:
	case r.sum == 0:
		r.sum, r.shift = float64(s), float64(shift)
	case float64(shift) == r.shift:
		r.sum += float64(s)
	case float64(shift) > r.shift:
		r.sum = r.sum*math.Exp2(r.shift-float64(shift)) + float64(s)
		r.shift = float64(shift)
	default:
		r.sum += float64(s) * math.Exp2(float64(shift)-r.shift)
	}
}

// log2 returns the base-2 log-sum-exp of the row.
func (r *rowSum) log2() float64 { return r.shift + math.Log2(r.sum) }

// shiftFor returns the shift of row i from its hint (NaN if unknown).
func shiftFor(hint, rc, eps float64) float32 {
	return float32(math.Log2E * (hint/eps - rc))
}

func (s *source32) lse(out []float64, rows bool, pot, logw []float64, eps float64) {
	R, C, hint := s.X, s.Y, s.hintR
	if !rows {
		R, C, hint = s.Y, s.X, s.hintC
	}
	h := s.colTerms(C, pot, logw, eps)
	c2 := float32(2 * math.Log2E / eps)
	if R.d <= smallDim {
		par.Blocks(R.n, lseBlock, s.workers, s.serial(R, C), func(lo, hi, w int) {
			wk := s.work[w]
			rows := hi - lo
			d := R.d
			for k, v := range R.rows[lo*d : hi*d] {
				wk.xs[k] = v * c2
			}
			for i := lo; i < hi; i++ {
				wk.shift[i-lo] = shiftFor(hint[i], -R.norms[i]/eps, eps)
				wk.sums[i-lo] = rowSum{max: float32(math.Inf(-1))}
			}
			// Block by block of columns, every row of the tile: a block
			// of the panel stays in cache for all of them.
			for j0 := 0; j0 < C.npad; j0 += blockCols {
				wc := min(blockCols, C.npad-j0)
				hb, pb := h[j0:j0+wc], C.panel[j0*d:]
				for r := 0; r < rows; r++ {
					s.dotBlock(wk, wk.xs[r*d:(r+1)*d], pb, hb, &wk.sums[r], &wk.shift[r])
				}
			}
			for i := lo; i < hi; i++ {
				r := &wk.sums[i-lo]
				if r.max < wk.shift[i-lo]-60 { // the estimate was far too high: redo with the maximum
					shift := r.max
					*r = rowSum{max: float32(math.Inf(-1))}
					xs := wk.xs[(i-lo)*d : (i-lo+1)*d]
					for j0 := 0; j0 < C.npad; j0 += blockCols {
						wc := min(blockCols, C.npad-j0)
						s.dotBlock(wk, xs, C.panel[j0*d:], h[j0:j0+wc], r, &shift)
					}
				}
				rc := -R.norms[i] / eps
				out[i] = rc + math.Ln2*r.log2()
				hint[i] = eps * out[i]
			}
		})
		return
	}
	par.Blocks(R.n, gemmRows, s.workers, s.serial(R, C), func(lo, hi, w int) {
		wk := s.work[w]
		sums := make([]rowSum, hi-lo)
		shifts := make([]float32, hi-lo)
		for i := lo; i < hi; i++ {
			sums[i-lo].max = float32(math.Inf(-1))
			shifts[i-lo] = shiftFor(hint[i], -R.norms[i]/eps, eps)
		}
		for j0 := 0; j0 < C.n; j0 += gemmCols {
			wc := min(gemmCols, C.n-j0)
			wp := (wc + 15) &^ 15
			s.gemmTile(wk.tile, R, C, lo, hi, j0, wc, wp)
			for i := lo; i < hi; i++ {
				t := wk.tile[(i-lo)*wp : (i-lo+1)*wp]
				s.blockSum(&sums[i-lo], &shifts[i-lo], t, h[j0:j0+wp], c2)
			}
		}
		for i := lo; i < hi; i++ {
			r := &sums[i-lo]
			if r.max < shifts[i-lo]-60 { // the estimate was far too high: redo the row
				shifts[i-lo], *r = r.max, rowSum{max: float32(math.Inf(-1))}
				for j0 := 0; j0 < C.n; j0 += gemmCols {
					wc := min(gemmCols, C.n-j0)
					wp := (wc + 15) &^ 15
					s.gemmTile(wk.tile[:wp], R, C, i, i+1, j0, wc, wp)
					s.blockSum(r, &shifts[i-lo], wk.tile[:wp], h[j0:j0+wp], c2)
				}
			}
			rc := -R.norms[i] / eps
			out[i] = rc + math.Ln2*r.log2()
			hint[i] = eps * out[i]
		}
	})
}

// blockSum adds the block t (column terms h, scale c) to the row sum r,
// with the row's shift, which it raises when the block's maximum is too
// far above it (or sets when unknown).
func (s *source32) blockSum(r *rowSum, shift *float32, t, h []float32, c float32) {
	sh := *shift
	if sh != sh { // unknown: find the maximum first
		_, mx := s.k.expSumMax(t, h, c, 0)
		if mx < absent/2 { // no column of positive weight
			return
		}
		sh = mx
	}
	sm, mx := s.k.expSumMax(t, h, c, sh)
	if mx < absent/2 {
		return
	}
	if mx > sh+60 { // terms up to 2^(mx - sh) could overflow
		sh = mx
		sm, _ = s.k.expSumMax(t, h, c, sh)
	}
	r.max = max(r.max, mx)
	*shift = sh
	r.add(sm, sh)
}

// dotBlock adds the block of columns (panel pb, column terms hb) of the
// row with scaled coordinates xs to its sum r, with the fused kernel, from
// the row's shift (NaN: unknown, then set from the block's maximum), which
// it raises when the block's maximum is too far above it.
func (s *source32) dotBlock(wk *work32, xs, pb, hb []float32, r *rowSum, shift *float32) {
	sh := *shift
	if sh != sh { // unknown: find the maximum first
		_, mx := s.k.lseDot(wk.tile, xs, pb, hb, 0)
		if mx < absent/2 {
			return
		}
		sh = mx
	}
	sm, mx := s.k.lseDot(wk.tile, xs, pb, hb, sh)
	if mx < absent/2 { // no column of positive weight
		*shift = sh
		return
	}
	if mx > sh+60 { // terms up to 2^(mx - sh) could overflow
		sh = mx
		sm, _ = s.k.lseDot(wk.tile, xs, pb, hb, sh)
	}
	r.max = max(r.max, mx)
	r.add(sm, sh)
	*shift = sh
}

// gemmTile sets tile (rows lo..hi-1 of R, row stride wp) to the inner
// products with the columns j0..j0+wc-1 of C, zero in the padding.
func (s *source32) gemmTile(tile []float32, R, C *cloud32, lo, hi, j0, wc, wp int) {
	d := R.d
	rows := hi - lo
	tile = tile[:rows*wp]
	if wp != wc {
		clear(tile)
	}
	gemm32(blas.NoTrans, blas.Trans, 1,
		blas32.General{Rows: rows, Cols: d, Stride: d, Data: R.rows[lo*d : hi*d]},
		blas32.General{Rows: wc, Cols: d, Stride: d, Data: C.rows[j0*d : (j0+wc)*d]},
		0, blas32.General{Rows: rows, Cols: wc, Stride: wp, Data: tile})
}

// planPass streams the plan P_ij = exp(la_i + lb_j + (f_i + g_j - C_ij)/eps)
// over the rows of R and the columns of C (h holding the column terms of
// g and lb): for every tile of rows lo..hi-1 and block of columns
// j0..j0+wc-1 it calls fn with the block's inner products T (scaled by
// 2 log2(e)/eps when small, raw otherwise) and E_ij = P_ij / kappa_i, both
// with row stride stride. The tiles are one row on the dot path (small),
// gemmRows rows otherwise. fn is called concurrently for different tiles;
// w is the goroutine's index.
func (s *source32) planPass(R, C *cloud32, h []float32, f, la, hint []float64, eps float64,
	fn func(w, lo, hi int, kappa []float64, T, E, esum []float32, stride, j0, wc int, small bool)) {
	c2 := float32(2 * math.Log2E / eps)
	small := R.d <= smallDim
	block := lseBlock
	if !small {
		block = gemmRows
	}
	par.Blocks(R.n, block, s.workers, s.serial(R, C), func(lo, hi, w int) {
		wk := s.work[w]
		kappa := make([]float64, hi-lo)
		shift := make([]float32, hi-lo)
		esum := make([]float32, hi-lo)
		for i := lo; i < hi; i++ {
			rc := -R.norms[i] / eps
			sh := shiftFor(hint[i], rc, eps)
			shift[i-lo] = sh
			// P_ij = a_i exp(f_i/eps + rc_i) 2^(t_ij) = kappa_i 2^(t_ij - sh).
			kappa[i-lo] = math.Exp(la[i] + f[i]/eps + rc + math.Ln2*float64(sh))
		}
		if small {
			d := R.d
			for k, v := range R.rows[lo*d : hi*d] {
				wk.xs[k] = v * c2
			}
			// Block by block of columns, every row of the tile (cache).
			for j0 := 0; j0 < C.npad; j0 += blockCols {
				wc := min(blockCols, C.npad-j0)
				for i := lo; i < hi; i++ {
					if kappa[i-lo] == 0 {
						continue
					}
					t := wk.tile[:wc]
					s.k.dot(t, wk.xs[(i-lo)*d:(i-lo+1)*d], C.panel[j0*d:])
					esum[i-lo] = s.k.expStore(wk.e[:wc], t, h[j0:j0+wc], 1, shift[i-lo])
					fn(w, i, i+1, kappa[i-lo:i-lo+1], t, wk.e[:wc], esum[i-lo:i-lo+1], wc, j0, min(wc, C.n-j0), true)
				}
			}
			return
		}
		for j0 := 0; j0 < C.n; j0 += gemmCols {
			wc := min(gemmCols, C.n-j0)
			wp := (wc + 15) &^ 15
			s.gemmTile(wk.tile, R, C, lo, hi, j0, wc, wp)
			for i := lo; i < hi; i++ {
				r := (i - lo) * wp
				esum[i-lo] = s.k.expStore(wk.e[r:r+wp], wk.tile[r:r+wp], h[j0:j0+wp], c2, shift[i-lo])
			}
			fn(w, lo, hi, kappa, wk.tile, wk.e, esum, wp, j0, wc, false)
		}
	})
}

func (s *source32) planCost(f, g, la, lb []float64, eps float64) float64 {
	R, C := s.X, s.Y
	h := s.colTerms(C, g, lb, eps)
	c2 := 2 * math.Log2E / eps
	part := make([]float64, R.n)
	s.planPass(R, C, h, f, la, s.hintR, eps, func(w, lo, hi int, kappa []float64, T, E, esum []float32, stride, j0, wc int, small bool) {
		// sum_j P_ij C_ij = kappa_i sum_j e_j (|x_i|² + |y_j|² - 2<x_i, y_j>)
		yn := blas32.Vector{N: wc, Inc: 1, Data: C.normsF[j0 : j0+wc]}
		for i := lo; i < hi; i++ {
			t := blas32.Vector{N: wc, Inc: 1, Data: T[(i-lo)*stride:]}
			e := blas32.Vector{N: wc, Inc: 1, Data: E[(i-lo)*stride:]}
			sey, ses := float64(blas32.Dot(e, yn)), float64(blas32.Dot(e, t))
			if small {
				ses /= c2
			}
			part[i] += kappa[i-lo] * (float64(esum[i-lo])*R.norms[i] + sey - 2*ses)
		}
	})
	return sum(part)
}

// gradRows adds to G (n×d, the rows of R) sum_j P_ij 2 (x_i - y_j), the
// gradient of <P, C> with respect to the points of R for the squared
// Euclidean cost, with P the plan of (f, g) (rows) or its transpose.
func (s *source32) gradRows(G *mat.Dense, rows bool, f, g, la, lb []float64, eps float64) {
	R, C, pot, lw, fr, lr, hint := s.X, s.Y, g, lb, f, la, s.hintR
	if !rows {
		R, C, pot, lw, fr, lr, hint = s.Y, s.X, f, la, g, lb, s.hintC
	}
	h := s.colTerms(C, pot, lw, eps)
	d := R.d
	// S_i = sum_j P_ij y_j and r_i = sum_j P_ij, in float64.
	S := make([]float64, R.n*d)
	r := make([]float64, R.n)
	bufs := make([][]float32, s.workers)
	s.planPass(R, C, h, fr, lr, hint, eps, func(w, lo, hi int, kappa []float64, T, E, esum []float32, stride, j0, wc int, small bool) {
		if small {
			i := lo
			if len(bufs[w]) < 17*d {
				bufs[w] = make([]float32, 17*d)
			}
			lanes, out := bufs[w][:16*d], bufs[w][16*d:17*d]
			wp := (wc + 15) &^ 15
			clear(lanes)
			s.k.wsum(lanes, E[:wp], C.panel[j0*d:])
			r[i] += kappa[0] * float64(esum[0])
			for k := range out {
				acc := float32(0)
				for _, v := range lanes[16*k : 16*k+16] {
					acc += v
				}
				S[i*d+k] += kappa[0] * float64(acc)
			}
			return
		}
		rows := hi - lo
		if len(bufs[w]) < gemmRows*d {
			bufs[w] = make([]float32, gemmRows*d)
		}
		buf := bufs[w][:rows*d]
		gemm32(blas.NoTrans, blas.NoTrans, 1,
			blas32.General{Rows: rows, Cols: wc, Stride: stride, Data: E[:rows*stride]},
			blas32.General{Rows: wc, Cols: d, Stride: d, Data: C.rows[j0*d : (j0+wc)*d]},
			0, blas32.General{Rows: rows, Cols: d, Stride: d, Data: buf})
		for i := lo; i < hi; i++ {
			ka := kappa[i-lo]
			r[i] += ka * float64(esum[i-lo])
			for k, v := range buf[(i-lo)*d : (i-lo+1)*d] {
				S[i*d+k] += ka * float64(v)
			}
		}
	})
	for i := 0; i < R.n; i++ {
		gr := G.RawRowView(i)
		x := R.rows[i*d : (i+1)*d]
		for k := 0; k < d; k++ {
			gr[k] += 2 * (r[i]*float64(x[k]) - S[i*d+k])
		}
	}
}
