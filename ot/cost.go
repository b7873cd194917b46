package ot

import (
	"math"
	"sync"
	"sync/atomic"

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
	if err := checkCostInto(dst, X, Y, p); err != nil {
		return err
	}
	costInto(dst, X, Y, p)
	return nil
}

// checkCostInto checks the arguments of CostInto and Cost32Into and sizes
// an empty dst to n×m.
func checkCostInto(dst, X, Y *mat.Dense, p float64) error {
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
	if dst.IsEmpty() {
		dst.ReuseAs(n, m)
	} else if r, c := dst.Dims(); r != n || c != m {
		return inputErrorf("cost: destination is %dx%d, want %dx%d", r, c, n, m)
	}
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
		if !finiteRows(c.m, 0, r) {
			for i := 0; i < r; i++ { // name the first bad entry
				for j, v := range c.m.RawRowView(i)[:cols] {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						return inputErrorf("cost: %s[%d,%d] is %v", c.name, i, j, v)
					}
				}
			}
		}
	}
	return nil
}

// finiteRows reports whether rows lo..hi-1 of A are all finite, scanning
// large matrices on all cores.
func finiteRows(A *mat.Dense, lo, hi int) bool {
	_, cols := A.Dims()
	scan := func(lo, hi int) bool {
		bad := false
		for i := lo; i < hi; i++ {
			for _, v := range A.RawRowView(i)[:cols] {
				// v - v is NaN exactly for NaN and ±Inf.
				bad = bad || v-v != 0
			}
		}
		return !bad
	}
	const minPar = 1 << 20
	workers := workerCount(0)
	if (hi-lo)*cols < minPar || workers == 1 {
		return scan(lo, hi)
	}
	ok := make([]bool, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok[w] = scan(lo+w*(hi-lo)/workers, lo+(w+1)*(hi-lo)/workers)
		}()
	}
	wg.Wait()
	for _, o := range ok {
		if !o {
			return false
		}
	}
	return true
}

// meanRows returns the mean of the rows of the matrices, summed in fixed
// blocks of rows (on all cores for large inputs) and the block sums added
// in order, so that the result does not depend on the number of cores.
func meanRows(As ...*mat.Dense) []float64 {
	const block = 256
	_, d := As[0].Dims()
	type job struct {
		A      *mat.Dense
		lo, hi int
	}
	var jobs []job
	total := 0
	for _, A := range As {
		r, _ := A.Dims()
		total += r
		for lo := 0; lo < r; lo += block {
			jobs = append(jobs, job{A, lo, min(lo+block, r)})
		}
	}
	sums := make([][]float64, len(jobs))
	do := func(k int) {
		s := make([]float64, d)
		jb := jobs[k]
		for i := jb.lo; i < jb.hi; i++ {
			for c, v := range jb.A.RawRowView(i)[:d] {
				s[c] += v
			}
		}
		sums[k] = s
	}
	workers := workerCount(0)
	if total*d < 1<<20 || workers == 1 {
		for k := range jobs {
			do(k)
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := int(next.Add(1) - 1); k < len(jobs); k = int(next.Add(1) - 1) {
					do(k)
				}
			}()
		}
		wg.Wait()
	}
	mean := make([]float64, d)
	for _, s := range sums {
		for c, v := range s {
			mean[c] += v
		}
	}
	for c := range mean {
		mean[c] /= float64(total)
	}
	return mean
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
