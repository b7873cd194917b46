package eval

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// FID returns the Fréchet distance between Gaussians fitted to the rows of
// x and of y (both row-major with d columns), the Fréchet Inception
// Distance of Heusel et al. 2017 when the rows are features of a network:
//
//	FID = ‖μx − μy‖² + tr(Σx + Σy − 2 (Σx Σy)^½)
//
// with the sample means μ and the unbiased sample covariances Σ (divided by
// n − 1). The trace of the matrix square root is computed from the
// symmetric form (Σx Σy)^½ ~ (Σx^½ Σy Σx^½)^½, whose eigenvalues gonum's
// symmetric eigen-decomposition gives; tiny negative eigenvalues from
// rounding count as zero. The estimate is biased upwards for finite
// samples (the mean term alone by tr(Σx)/n + tr(Σy)/m for n and m rows),
// so compare FIDs computed from equally many rows, at least d on each side
// (for instance 10,000 generated digits against the 10,000 MNIST test
// digits, in the 64 features of package classifier).
// Rows must be finite, and each side needs at least 2 of them.
func FID(x, y []float32, d int) (float64, error) {
	if _, err := rows("eval: fid: x", x, d, 2); err != nil {
		return 0, err
	}
	if _, err := rows("eval: fid: y", y, d, 2); err != nil {
		return 0, err
	}
	mx, sx := gaussianFit(dense(x, d))
	my, sy := gaussianFit(dense(y, d))
	dm := 0.0
	for i := range mx {
		dm += (mx[i] - my[i]) * (mx[i] - my[i])
	}
	rootX, err := sqrtSym(sx)
	if err != nil {
		return 0, fmt.Errorf("eval: fid: %w", err)
	}
	// inner = Σx^½ Σy Σx^½, symmetrised against rounding.
	var t, inner mat.Dense
	t.Mul(rootX, sy)
	inner.Mul(&t, rootX)
	sym := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			sym.SetSym(i, j, (inner.At(i, j)+inner.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		return 0, errors.New("eval: fid: eigen-decomposition did not converge")
	}
	trRoot := 0.0
	for _, l := range eig.Values(nil) {
		if l > 0 {
			trRoot += math.Sqrt(l)
		}
	}
	v := dm + mat.Trace(sx) + mat.Trace(sy) - 2*trRoot
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("eval: fid is %v", v)
	}
	return math.Max(v, 0), nil
}

// gaussianFit returns the column means and the unbiased covariance matrix
// of the rows of x.
func gaussianFit(x *mat.Dense) ([]float64, *mat.SymDense) {
	_, d := x.Dims()
	mean := make([]float64, d)
	for j := range mean {
		mean[j] = stat.Mean(mat.Col(nil, j, x), nil)
	}
	cov := mat.NewSymDense(d, nil)
	stat.CovarianceMatrix(cov, x, nil)
	return mean, cov
}

// sqrtSym returns the symmetric square root V diag(√max(λ, 0)) Vᵀ of the
// symmetric positive semi-definite matrix s = V diag(λ) Vᵀ.
func sqrtSym(s *mat.SymDense) (*mat.Dense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, errors.New("eigen-decomposition did not converge")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	d := len(vals)
	scaled := mat.NewDense(d, d, nil)
	for j, l := range vals {
		r := math.Sqrt(math.Max(l, 0))
		for i := 0; i < d; i++ {
			scaled.Set(i, j, vecs.At(i, j)*r)
		}
	}
	var root mat.Dense
	root.Mul(scaled, vecs.T())
	return &root, nil
}
