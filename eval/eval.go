// Package eval measures generated samples against real ones with metrics
// that need no pretrained network: kernel MMD and, for 2-D toys, mode
// coverage.
package eval

import (
	"fmt"
	"math"
	"sort"
)

// DefaultBandwidths are the Gaussian-kernel bandwidths of MMD when none are
// given, suited to data of unit scale such as the 8-Gaussians ring.
var DefaultBandwidths = []float64{0.05, 0.1, 0.2, 0.5, 1, 2}

// MMD returns the unbiased estimate of the squared maximum mean discrepancy
// (Gretton et al. 2012, eq. 3) between the n rows of x and the m rows of y
// (both row-major with d columns) for the sum of Gaussian kernels
// exp(−‖a−b‖²/(2h²)) over the bandwidths h (DefaultBandwidths when nil).
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
		if !(h > 0) {
			return 0, fmt.Errorf("eval: mmd bandwidth %v, want > 0", h)
		}
		inv[i] = 1 / (2 * h * h)
	}
	k := func(a, b []float32) float64 {
		s := 0.0
		for i := range a {
			t := float64(a[i] - b[i])
			s += t * t
		}
		v := 0.0
		for _, c := range inv {
			v += math.Exp(-s * c)
		}
		return v
	}
	sum := func(a []float32, na int, b []float32, nb int, same bool) float64 {
		t := 0.0
		for i := 0; i < na; i++ {
			for j := 0; j < nb; j++ {
				if same && i == j {
					continue
				}
				t += k(a[i*d:(i+1)*d], b[j*d:(j+1)*d])
			}
		}
		return t
	}
	kxx := sum(x, n, x, n, true) / float64(n*(n-1))
	kyy := sum(y, m, y, m, true) / float64(m*(m-1))
	kxy := sum(x, n, y, m, false) / float64(n*m)
	v := kxx + kyy - 2*kxy
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("eval: mmd is %v (non-finite samples?)", v)
	}
	return v, nil
}

// MedianDistance returns the median Euclidean distance between distinct
// rows of x (row-major, d columns), over at most the first 500 rows: the
// median heuristic for kernel bandwidths in high dimension (e.g. pixels).
func MedianDistance(x []float32, d int) (float64, error) {
	if d <= 0 || len(x)%d != 0 || len(x)/d < 2 {
		return 0, fmt.Errorf("eval: median distance: %d values are not at least 2 rows of %d", len(x), d)
	}
	n := min(len(x)/d, 500)
	var ds []float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			s := 0.0
			for k := 0; k < d; k++ {
				t := float64(x[i*d+k] - x[j*d+k])
				s += t * t
			}
			ds = append(ds, math.Sqrt(s))
		}
	}
	sort.Float64s(ds)
	return ds[len(ds)/2], nil
}
