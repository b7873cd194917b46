package ot

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"otgen/internal/par"
)

// lseBlock is the number of rows a goroutine takes at a time.
const lseBlock = 16

// source64 computes the reductions of the log-domain engine in float64,
// either from a stored cost matrix (M, n×m, and its transpose Mt) or from
// two point clouds (X, n×d, and Y, m×d, row-major) with the cost
// |x - y|^p recomputed every time. It is exact to rounding and serves the
// unbalanced dense solver, PrecisionFloat64 and the costs other than p = 2
// of the online solvers.
type source64 struct {
	n, m, d int
	p       float64
	X, Y    []float64
	M, Mt   []float64
	workers int
	scratch [][]float64
}

func newMatrixSource(M []float64, n, m, workers int) *source64 {
	s := &source64{n: n, m: m, M: M, workers: workers}
	s.Mt = make([]float64, n*m)
	for i := 0; i < n; i++ {
		for j, v := range M[i*m : (i+1)*m] {
			s.Mt[j*n+i] = v
		}
	}
	s.initScratch()
	return s
}

func newPointSource(X, Y []float64, n, m, d int, p float64, workers int) *source64 {
	s := &source64{n: n, m: m, d: d, p: p, X: X, Y: Y, workers: workers}
	s.initScratch()
	return s
}

func (s *source64) initScratch() {
	s.scratch = make([][]float64, max(1, s.workers))
	for w := range s.scratch {
		s.scratch[w] = make([]float64, max(s.n, s.m))
	}
}

func (s *source64) dims() (int, int) { return s.n, s.m }

// serial reports whether the problem is too small for goroutines.
func (s *source64) serial() bool { return s.n*s.m < parallelMin }

// costs fills dst with the costs of row i (rows) or column i (!rows).
func (s *source64) costs(dst []float64, i int, rows bool) []float64 {
	if s.M != nil {
		if rows {
			return s.M[i*s.m : (i+1)*s.m]
		}
		return s.Mt[i*s.n : (i+1)*s.n]
	}
	d := s.d
	x, other := s.X[i*d:(i+1)*d], s.Y
	if !rows {
		x, other = s.Y[i*d:(i+1)*d], s.X
	}
	for j := range dst {
		y := other[j*d : (j+1)*d]
		d2 := 0.0
		for k, v := range x {
			t := v - y[k]
			d2 += t * t
		}
		dst[j] = d2
	}
	powRow(dst, s.p)
	return dst
}

func (s *source64) lse(out []float64, rows bool, pot, logw []float64, eps float64) {
	cols := s.m
	if !rows {
		cols = s.n
	}
	inv := 1 / eps
	par.Blocks(len(out), lseBlock, s.workers, s.serial(), func(lo, hi, w int) {
		t := s.scratch[w][:cols]
		for i := lo; i < hi; i++ {
			c := s.costs(t, i, rows)
			mx := math.Inf(-1)
			for j, lw := range logw {
				v := lw + (pot[j]-c[j])*inv
				t[j] = v
				if v > mx {
					mx = v
				}
			}
			out[i] = mx + math.Log(expSum(t, -mx))
		}
	})
}

func (s *source64) costRange() float64 {
	if s.M != nil {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range s.M {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		return hi - lo
	}
	return pointsRange(s.X, s.Y, s.d, s.p)
}

// pointsRange bounds the costs |x - y|^p between the clouds by (2r)^p, r
// the largest distance of a point to the mean of all points.
func pointsRange(X, Y []float64, d int, p float64) float64 {
	mean := make([]float64, d)
	for _, Z := range [][]float64{X, Y} {
		for i, v := range Z {
			mean[i%d] += v
		}
	}
	for k := range mean {
		mean[k] /= float64((len(X) + len(Y)) / d)
	}
	r2 := 0.0
	for _, Z := range [][]float64{X, Y} {
		for i := 0; i < len(Z); i += d {
			s := 0.0
			for k, v := range Z[i : i+d] {
				t := v - mean[k]
				s += t * t
			}
			r2 = math.Max(r2, s)
		}
	}
	return math.Pow(4*r2, p/2)
}

func (s *source64) planCost(f, g, la, lb []float64, eps float64) float64 {
	nb := (s.n + lseBlock - 1) / lseBlock
	part := make([]float64, nb)
	inv := 1 / eps
	par.Blocks(s.n, lseBlock, s.workers, s.serial(), func(lo, hi, w int) {
		t := s.scratch[w][:s.m]
		acc := 0.0
		for i := lo; i < hi; i++ {
			if math.IsInf(la[i], -1) {
				continue
			}
			c := s.costs(t, i, true)
			for j, lw := range lb {
				if !math.IsInf(lw, -1) {
					acc += fastExp(la[i]+lw+(f[i]+g[j]-c[j])*inv) * c[j]
				}
			}
		}
		part[lo/lseBlock] = acc
	})
	return sum(part)
}

// gradRows adds to G (the rows of the sources, or of the targets when
// !rows) sum_j P_ij ∇_x c(x_i, y_j), with ∇_x c = p |x - y|^{p-2} (x - y)
// (0 where x = y and p != 2) and P the plan of (f, g). The source must
// hold the coordinates X, Y (d > 0).
func (s *source64) gradRows(G *mat.Dense, rows bool, f, g, la, lb []float64, eps float64) {
	R, Cc, n, m := s.X, s.Y, s.n, s.m
	fr, gc, lr, lc := f, g, la, lb
	if !rows {
		R, Cc, n, m = s.Y, s.X, s.m, s.n
		fr, gc, lr, lc = g, f, lb, la
	}
	d, p, inv := s.d, s.p, 1/eps
	par.Blocks(n, lseBlock, s.workers, s.serial(), func(lo, hi, w int) {
		t := s.scratch[w][:m]
		for i := lo; i < hi; i++ {
			if math.IsInf(lr[i], -1) {
				continue
			}
			c := s.costs(t, i, rows)
			gi := G.RawRowView(i)[:d]
			x := R[i*d : (i+1)*d]
			for j, lw := range lc {
				if math.IsInf(lw, -1) {
					continue
				}
				w := fastExp(lr[i]+lw+(fr[i]+gc[j]-c[j])*inv) * p
				if p != 2 {
					if c[j] == 0 {
						continue
					}
					w *= math.Pow(c[j], (p-2)/p)
				}
				y := Cc[j*d : (j+1)*d]
				for k, xv := range x {
					gi[k] += w * (xv - y[k])
				}
			}
		}
	})
}
