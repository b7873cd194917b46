package ot

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Cost returns the n×m cost matrix C with C[i,j] = ||x_i - y_j||^p between
// the rows x_i of X (n×d) and the rows y_j of Y (m×d), like POT's ot.dist
// with metric 'sqeuclidean' (p = 2) or 'euclidean' (p = 1).
//
// For p = 2 the squared Euclidean distance is computed as
// |x_i|² + |y_j|² - 2<x_i, y_j> with a single matrix product (gonum BLAS) and
// clamped at 0 to remove rounding noise; for other p the same squared
// distances are turned into (sqrt(C))^p.
//
// The error wraps ErrInput if X or Y is empty, their column counts differ,
// they hold a NaN or an infinity, or p is not a finite positive number.
func Cost(X, Y *mat.Dense, p float64) (*mat.Dense, error) {
	if err := checkPoints(X, Y, p); err != nil {
		return nil, err
	}
	n, _ := X.Dims()
	m, _ := Y.Dims()
	dst := mat.NewDense(n, m, nil)
	costInto(dst, X, Y, p)
	return dst, nil
}

// CostInto is Cost writing into dst, which must be n×m or empty (a zero
// mat.Dense or one after Reset, in which case it is sized to n×m). dst must
// not be X or Y. It allocates nothing except the two norm vectors when dst
// already has the right shape.
func CostInto(dst, X, Y *mat.Dense, p float64) error {
	if dst == nil {
		return inputErrorf("cost: destination is nil")
	}
	if err := checkPoints(X, Y, p); err != nil {
		return err
	}
	if dst == X || dst == Y {
		return inputErrorf("cost: destination aliases an input")
	}
	n, _ := X.Dims()
	m, _ := Y.Dims()
	if !dst.IsEmpty() {
		if r, c := dst.Dims(); r != n || c != m {
			return inputErrorf("cost: destination is %dx%d, want %dx%d", r, c, n, m)
		}
	}
	costInto(dst, X, Y, p)
	return nil
}

// SqEuclidean returns the squared Euclidean cost matrix ||x_i - y_j||², that
// is Cost(X, Y, 2).
func SqEuclidean(X, Y *mat.Dense) (*mat.Dense, error) {
	return Cost(X, Y, 2)
}

// checkPoints validates the point clouds and the exponent of Cost.
func checkPoints(X, Y *mat.Dense, p float64) error {
	if X == nil || Y == nil || X.IsEmpty() || Y.IsEmpty() {
		return inputErrorf("cost: empty point cloud")
	}
	_, dx := X.Dims()
	_, dy := Y.Dims()
	if dx != dy {
		return inputErrorf("cost: X has %d columns but Y has %d", dx, dy)
	}
	if math.IsNaN(p) || math.IsInf(p, 0) || p <= 0 {
		return inputErrorf("cost: exponent p = %v, want a finite positive number", p)
	}
	for _, c := range []struct {
		name string
		m    *mat.Dense
	}{{"X", X}, {"Y", Y}} {
		r, cols := c.m.Dims()
		for i := 0; i < r; i++ {
			for j, v := range c.m.RawRowView(i)[:cols] {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return inputErrorf("cost: %s[%d,%d] is %v", c.name, i, j, v)
				}
			}
		}
	}
	return nil
}

// costInto computes the cost matrix into dst (n×m or empty) for valid input.
func costInto(dst, X, Y *mat.Dense, p float64) {
	n, _ := X.Dims()
	m, _ := Y.Dims()
	xn := rowSqNorms(X)
	yn := rowSqNorms(Y)
	dst.Mul(X, Y.T()) // the one matrix product: <x_i, y_j>
	for i := 0; i < n; i++ {
		row := dst.RawRowView(i)[:m]
		xi := xn[i]
		for j, g := range row {
			v := xi + yn[j] - 2*g
			if v < 0 {
				v = 0
			}
			row[j] = v
		}
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
}

// rowSqNorms returns the squared Euclidean norms of the rows of A.
func rowSqNorms(A *mat.Dense) []float64 {
	r, c := A.Dims()
	out := make([]float64, r)
	for i := range out {
		s := 0.0
		for _, v := range A.RawRowView(i)[:c] {
			s += v * v
		}
		out[i] = s
	}
	return out
}
