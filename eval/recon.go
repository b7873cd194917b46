package eval

import "fmt"

// ReconstructionError returns the mean squared Euclidean distance
// (1/n) Σᵢ ‖xᵢ − x̂ᵢ‖² between the n rows of x (held-out examples, row-major
// with d columns) and the n rows of xhat (their reconstructions by an
// autoencoder), the cost c(x, y) = ‖x − y‖² of the WAE paper and the
// "rec" metric of the training objectives; divide by d for the mean
// squared error per value. Both must hold the same number of finite rows.
func ReconstructionError(x, xhat []float32, d int) (float64, error) {
	n, err := rows("eval: reconstruction error: x", x, d, 1)
	if err != nil {
		return 0, err
	}
	m, err := rows("eval: reconstruction error: xhat", xhat, d, 1)
	if err != nil {
		return 0, err
	}
	if n != m {
		return 0, fmt.Errorf("eval: reconstruction error: %d examples but %d reconstructions", n, m)
	}
	s := 0.0
	for i, v := range x {
		t := float64(v) - float64(xhat[i])
		s += t * t
	}
	return s / float64(n), nil
}
