package eval

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// rows checks that v holds at least minRows whole rows of d finite values
// and returns the number of rows; what names the argument in errors.
func rows(what string, v []float32, d, minRows int) (int, error) {
	if d <= 0 {
		return 0, fmt.Errorf("%s: dimension %d, want > 0", what, d)
	}
	if len(v)%d != 0 {
		return 0, fmt.Errorf("%s: %d values are not whole rows of %d", what, len(v), d)
	}
	n := len(v) / d
	if n < minRows {
		return 0, fmt.Errorf("%s: %d rows, need at least %d", what, n, minRows)
	}
	if i := firstNonFinite(v); i >= 0 {
		return 0, fmt.Errorf("%s: value %d of row %d is %v", what, i%d, i/d, v[i])
	}
	return n, nil
}

// firstNonFinite returns the index of the first NaN or ±Inf of v, or -1.
func firstNonFinite(v []float32) int {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i
		}
	}
	return -1
}

// dense returns the n×d float64 matrix of the rows of v.
func dense(v []float32, d int) *mat.Dense {
	return mat.NewDense(len(v)/d, d, to64(v))
}
