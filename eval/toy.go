package eval

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"otgen/ot"
)

// Coverage describes how samples of a 2-D toy fall on its modes.
type Coverage struct {
	// Share[k] is the fraction of samples within Radius of mode k (and
	// nearer to it than to any other mode).
	Share []float64
	// HighQuality is the fraction of samples within Radius of some mode.
	HighQuality float64
	// Covered is the number of modes whose share is at least MinShare.
	Covered int
}

// ModeCoverage assigns each 2-D sample (x0, y0, x1, y1, ...) to its nearest
// mode and counts it when it lies within k standard deviations std of it —
// the "high-quality sample" convention of the unrolled-GAN and VEEGAN
// papers. A mode is covered when it gets at least minShare of the samples.
func ModeCoverage(samples []float32, modes [][2]float64, std, k, minShare float64) (Coverage, error) {
	if len(samples) < 2 || len(samples)%2 != 0 {
		return Coverage{}, fmt.Errorf("eval: mode coverage: %d values are not 2-D points", len(samples))
	}
	if len(modes) == 0 || !(std > 0) || !(k > 0) {
		return Coverage{}, fmt.Errorf("eval: mode coverage: %d modes, std %v, k %v", len(modes), std, k)
	}
	n := len(samples) / 2
	c := Coverage{Share: make([]float64, len(modes))}
	r2 := (k * std) * (k * std)
	for i := 0; i < n; i++ {
		x, y := float64(samples[2*i]), float64(samples[2*i+1])
		best, bd := -1, math.Inf(1)
		for j, m := range modes {
			d := (x-m[0])*(x-m[0]) + (y-m[1])*(y-m[1])
			if d < bd {
				best, bd = j, d
			}
		}
		if best >= 0 && bd <= r2 {
			c.Share[best]++
			c.HighQuality++
		}
	}
	for j := range c.Share {
		c.Share[j] /= float64(n)
		if c.Share[j] >= minShare {
			c.Covered++
		}
	}
	c.HighQuality /= float64(n)
	return c, nil
}

// W2 returns the exact 2-Wasserstein distance between the uniform measures
// on the rows of x and y (both n×d, row-major), solved by package ot.
func W2(x, y []float32, d int) (float64, error) {
	if d <= 0 || len(x)%d != 0 || len(y)%d != 0 || len(x) == 0 || len(y) == 0 {
		return 0, fmt.Errorf("eval: w2: %d and %d values are not rows of %d", len(x), len(y), d)
	}
	X := mat.NewDense(len(x)/d, d, to64(x))
	Y := mat.NewDense(len(y)/d, d, to64(y))
	M, err := ot.Cost(X, Y, 2)
	if err != nil {
		return 0, fmt.Errorf("eval: w2: %w", err)
	}
	c, err := ot.EMD2(nil, nil, M)
	if err != nil {
		return 0, fmt.Errorf("eval: w2: %w", err)
	}
	return math.Sqrt(math.Max(c, 0)), nil
}

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
