package ot

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"
)

// Precision selects the arithmetic of a cost matrix: where float32 inner
// products (otgen/sgemm) are worth their rounding.
type Precision int

const (
	// PrecisionAuto is float32 products from dimension Float32MinDim on
	// where only the choice among near-optimal plans can change (the
	// exact minibatch solvers, whose costs are then recomputed in float64
	// from the plan), float64 otherwise.
	PrecisionAuto Precision = iota
	// PrecisionFloat64 computes every cost in float64 (Cost).
	PrecisionFloat64
	// PrecisionFloat32 computes the inner products in float32 (Cost32).
	PrecisionFloat32
)

// Float32MinDim is the dimension from which PrecisionAuto uses float32
// inner products: below it the product is not where the time goes.
const Float32MinDim = 256

// Cost32 returns the cost matrix of Cost, C[i,j] = ||x_i - y_j||^p, with
// the inner products <x_i, y_j> computed in float32 by one call to
// otgen/sgemm's product (AVX-512 or AVX2 Go assembly; gonum's kernel on
// other CPUs): several times the speed of Cost. It is meant for image-sized points (d in the thousands).
//
// Both clouds are first translated by the mean of all their points (the
// costs do not change), which shrinks the norms and hence the rounding
// of |x|² + |y|² - 2<x, y>; the norms and the sum are float64. The
// relative error of a cost is then about sqrt(d)·6e-8·(|x||y|)/C, around
// 1e-6 for 64x64 images. Errors wrap ErrInput as those of Cost.
func Cost32(X, Y *mat.Dense, p float64) (*mat.Dense, error) {
	if err := checkPoints(X, Y, p); err != nil {
		return nil, err
	}
	n, _ := X.Dims()
	m, _ := Y.Dims()
	dst := mat.NewDense(n, m, nil)
	var w cost32Work
	w.costDense(dst, X, Y, p)
	return dst, nil
}

// Cost32Into is Cost32 writing into dst, with the rules of CostInto.
func Cost32Into(dst, X, Y *mat.Dense, p float64) error {
	if err := checkCostInto(dst, X, Y, p); err != nil {
		return err
	}
	var w cost32Work
	w.costDense(dst, X, Y, p)
	return nil
}

// cost32Work holds the float32 copies and the product of Cost32, reused
// between calls by the minibatch workers.
type cost32Work struct {
	xs, ys, g []float32
	xn, yn    []float64
}

// costDense computes the cost between X and Y (valid input) into dst
// (n×m), centring both clouds on their common mean.
func (w *cost32Work) costDense(dst, X, Y *mat.Dense, p float64) {
	n, d := X.Dims()
	m, _ := Y.Dims()
	mean := meanRows(X, Y)
	w.load(n, m, d, mean, X.RawRowView, Y.RawRowView)
	raw := dst.RawMatrix()
	w.finish(raw.Data, raw.Stride, n, m, d, p)
}

// load fills the float32 buffers with the rows xrow(0..n-1) and
// yrow(0..m-1) minus mean, and their float64 squared norms.
func (w *cost32Work) load(n, m, d int, mean []float64, xrow, yrow func(int) []float64) {
	w.xs = grow32(w.xs, n*d)
	w.ys = grow32(w.ys, m*d)
	w.xn = grow64(w.xn, n)
	w.yn = grow64(w.yn, m)
	fill := func(dst []float32, norms []float64, r int, row func(int) []float64) {
		for i := 0; i < r; i++ {
			src := row(i)[:d]
			out := dst[i*d : (i+1)*d]
			s := 0.0
			for k, v := range src {
				c := float32(v - mean[k])
				out[k] = c
				s += float64(c) * float64(c)
			}
			norms[i] = s
		}
	}
	fill(w.xs, w.xn, n, xrow)
	fill(w.ys, w.yn, m, yrow)
}

// finish multiplies the loaded clouds in float32 and writes the costs
// |x|² + |y|² - 2<x, y> (clamped at 0), raised to p/2, into dst (n×m,
// row stride stride).
func (w *cost32Work) finish(dst []float64, stride, n, m, d int, p float64) {
	w.g = grow32(w.g, n*m)
	gemm32(blas.NoTrans, blas.Trans, 1,
		blas32.General{Rows: n, Cols: d, Stride: d, Data: w.xs[:n*d]},
		blas32.General{Rows: m, Cols: d, Stride: d, Data: w.ys[:m*d]},
		0, blas32.General{Rows: n, Cols: m, Stride: m, Data: w.g[:n*m]})
	for i := 0; i < n; i++ {
		row := dst[i*stride : i*stride+m]
		g := w.g[i*m : (i+1)*m]
		xi := w.xn[i]
		yn := w.yn[:m]
		for j := range row {
			v := xi + yn[j] - 2*float64(g[j])
			if v < 0 {
				v = 0
			}
			row[j] = v
		}
		powRow(row, p)
	}
}

// powRow turns squared distances into distances to the power p.
func powRow(row []float64, p float64) {
	switch p {
	case 2:
	case 1:
		for j, v := range row {
			row[j] = math.Sqrt(v)
		}
	default:
		h := p / 2
		for j, v := range row {
			row[j] = math.Pow(v, h)
		}
	}
}

func grow32(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

func grow64(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}
