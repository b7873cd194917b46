// Package eval measures generated samples against real ones with metrics
// that need no network downloaded from the internet:
//
//   - any data: kernel MMD (MMD, PixelMMD for images) and the exact W2;
//   - 2-D toys: mode coverage and the share of high-quality samples;
//   - MNIST, in the feature space or with the labels of the classifier that
//     otgen trains itself (package classifier): FID, KID and LabelKL;
//   - CelebA, in the feature space of otgen's CelebA attribute classifier
//     (package classifier): FID and KID (FeatureDistances);
//   - images of any size: the sliced Wasserstein distance between
//     Laplacian-pyramid patches of Karras et al. 2018 (PyramidSWD);
//   - autoencoders: ReconstructionError on held-out data.
//
// Samples are row-major float32 slices, one example a row of d values.
package eval

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// DefaultBandwidths are the Gaussian-kernel bandwidths of MMD when none are
// given, suited to data of unit scale such as the 8-Gaussians ring.
var DefaultBandwidths = []float64{0.05, 0.1, 0.2, 0.5, 1, 2}

// MMD returns the unbiased estimate of the squared maximum mean discrepancy
// (Gretton et al. 2012, eq. 3) between the n rows of x and the m rows of y
// (both row-major with d columns) for the sum of Gaussian kernels
// exp(−‖a−b‖²/(2h²)) over the bandwidths h (DefaultBandwidths when nil).
// The squared distances come from gonum BLAS Gram matrices
// (‖a‖² + ‖b‖² − 2 a·b, in float64, by blocks of rows), so pixel-space MMD
// between thousands of images takes seconds.
func MMD(x, y []float32, d int, bandwidths []float64) (float64, error) {
	if d <= 0 || len(x)%d != 0 || len(y)%d != 0 {
		return 0, fmt.Errorf("eval: mmd: %d and %d values are not rows of %d", len(x), len(y), d)
	}
	n, m := len(x)/d, len(y)/d
	if n < 2 || m < 2 {
		return 0, fmt.Errorf("eval: mmd needs at least 2 samples on each side, got %d and %d", n, m)
	}
	if bandwidths == nil {
		bandwidths = DefaultBandwidths
	}
	inv := make([]float64, len(bandwidths))
	for i, h := range bandwidths {
		if !(h > 0) || math.IsInf(h, 0) {
			return 0, fmt.Errorf("eval: mmd bandwidth %v, want > 0", h)
		}
		inv[i] = 1 / (2 * h * h)
	}
	if i := firstNonFinite(x); i >= 0 {
		return 0, fmt.Errorf("eval: mmd: value %d of sample %d of x is %v", i%d, i/d, x[i])
	}
	if i := firstNonFinite(y); i >= 0 {
		return 0, fmt.Errorf("eval: mmd: value %d of sample %d of y is %v", i%d, i/d, y[i])
	}
	X, Y := dense(x, d), dense(y, d)
	kxx := gaussianSum(X, X, inv, true) / float64(n*(n-1))
	kyy := gaussianSum(Y, Y, inv, true) / float64(m*(m-1))
	kxy := gaussianSum(X, Y, inv, false) / float64(n*m)
	v := kxx + kyy - 2*kxy
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("eval: mmd is %v (non-finite samples?)", v)
	}
	return v, nil
}

// gaussianSum returns Σᵢⱼ Σ_c exp(−c‖aᵢ − bⱼ‖²) over the rows of a and b
// and the coefficients inv, leaving out i = j when same is set (a and b are
// then the same matrix).
func gaussianSum(a, b *mat.Dense, inv []float64, same bool) float64 {
	const block = 256
	n, _ := a.Dims()
	na, nb := rowNorms(a), rowNorms(b)
	var gram mat.Dense
	t := 0.0
	for i0 := 0; i0 < n; i0 += block {
		i1 := min(i0+block, n)
		gram.Reset()
		gram.Mul(a.Slice(i0, i1, 0, a.RawMatrix().Cols), b.T())
		for i := i0; i < i1; i++ {
			row := gram.RawRowView(i - i0)
			for j, g := range row {
				if same && i == j {
					continue
				}
				s := math.Max(na[i]+nb[j]-2*g, 0)
				for _, c := range inv {
					t += math.Exp(-s * c)
				}
			}
		}
	}
	return t
}

// rowNorms returns the squared Euclidean norm of every row of a.
func rowNorms(a *mat.Dense) []float64 {
	n, _ := a.Dims()
	out := make([]float64, n)
	for i := range out {
		r := a.RawRowView(i)
		out[i] = floats.Dot(r, r)
	}
	return out
}

// PixelMMD returns MMD(fake, real, d, bandwidths) with Gaussian kernels at
// h/2, h and 2h, h being the median distance between the rows of real
// (MedianDistance): the pixel-space MMD of train's image evaluation, for
// images of any size (rows of d = C·H·W values). The bandwidths depend on
// real only, so comparing several fakes against one real sample uses one
// kernel.
func PixelMMD(real, fake []float32, d int) (float64, error) {
	if _, err := rows("eval: pixel mmd: real", real, d, 2); err != nil {
		return 0, err
	}
	if _, err := rows("eval: pixel mmd: fake", fake, d, 2); err != nil {
		return 0, err
	}
	h, err := MedianDistance(real, d)
	if err != nil {
		return 0, err
	}
	if !(h > 0) {
		return 0, fmt.Errorf("eval: pixel mmd: the real images are all equal (median distance %v)", h)
	}
	return MMD(fake, real, d, []float64{h / 2, h, 2 * h})
}

// MedianDistance returns the median Euclidean distance between distinct
// rows of x (row-major, d columns), over at most the first 500 rows: the
// median heuristic for kernel bandwidths in high dimension (e.g. pixels).
// The distances come from a gonum BLAS Gram matrix.
func MedianDistance(x []float32, d int) (float64, error) {
	if d <= 0 || len(x)%d != 0 || len(x)/d < 2 {
		return 0, fmt.Errorf("eval: median distance: %d values are not at least 2 rows of %d", len(x), d)
	}
	n := min(len(x)/d, 500)
	if i := firstNonFinite(x[:n*d]); i >= 0 {
		return 0, fmt.Errorf("eval: median distance: value %d of row %d is %v", i%d, i/d, x[i])
	}
	X := dense(x[:n*d], d)
	norms := rowNorms(X)
	var gram mat.SymDense
	gram.SymOuterK(1, X)
	ds := make([]float64, 0, n*(n-1)/2)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			ds = append(ds, math.Sqrt(math.Max(norms[i]+norms[j]-2*gram.At(i, j), 0)))
		}
	}
	sort.Float64s(ds)
	return ds[len(ds)/2], nil
}
