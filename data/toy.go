package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// The 2-D toy distributions of Gulrajani et al., "Improved Training of
// Wasserstein GANs" (2017), file gan_toy.py of improved_wgan_training. Each
// is a Stream of Shape [2] that draws every example independently from the
// rng passed to Sample, computes it in float64 and stores it as float32.

// EightGaussiansStd is the standard deviation, per coordinate, of each
// mode of EightGaussians: 0.02/1.414.
const EightGaussiansStd = eightNoise / eightDiv

// TwentyFiveGaussiansStd is the standard deviation, per coordinate, of each
// mode of TwentyFiveGaussians: 0.05/2.828.
const TwentyFiveGaussiansStd = twentyFiveNoise / twentyFiveDiv

const (
	eightScale      = 2
	eightNoise      = 0.02
	eightDiv        = 1.414 // gan_toy.py's "stdev"
	twentyFiveNoise = 0.05
	twentyFiveDiv   = 2.828
	swissRollNoise  = 0.25
	swissRollDiv    = 7.5
)

// eightCentres returns the centres of gan_toy.py's 8 Gaussians before the
// final division, in its order.
func eightCentres() [8][2]float64 {
	d := 1 / math.Sqrt(2)
	c := [8][2]float64{{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {d, d}, {d, -d}, {-d, d}, {-d, -d}}
	for i := range c {
		c[i][0] *= eightScale
		c[i][1] *= eightScale
	}
	return c
}

// EightGaussiansModes returns the 8 modes (means) of EightGaussians, in
// gan_toy.py's order: 2*(1,0), 2*(-1,0), 2*(0,1), 2*(0,-1), then the
// diagonals 2*(±1/√2, ±1/√2) as (+,+), (+,-), (-,+), (-,-), each divided
// by 1.414. The caller owns the returned slice.
func EightGaussiansModes() [][2]float64 {
	c := eightCentres()
	modes := make([][2]float64, len(c))
	for i, m := range c {
		modes[i] = [2]float64{m[0] / eightDiv, m[1] / eightDiv}
	}
	return modes
}

// TwentyFiveGaussiansModes returns the 25 modes (means) of
// TwentyFiveGaussians, (2x, 2y)/2.828 for x and y in -2..2, x varying
// slowest. The caller owns the returned slice.
func TwentyFiveGaussiansModes() [][2]float64 {
	modes := make([][2]float64, 0, 25)
	for x := -2; x <= 2; x++ {
		for y := -2; y <= 2; y++ {
			modes = append(modes, [2]float64{2 * float64(x) / twentyFiveDiv, 2 * float64(y) / twentyFiveDiv})
		}
	}
	return modes
}

// EightGaussians returns the 8-Gaussians distribution of gan_toy.py: a
// uniform choice of one of 8 centres at radius 2 on the circle (angles
// k*pi/4), plus 0.02*N(0, I), the whole point divided by 1.414. Its modes
// are EightGaussiansModes and their spread EightGaussiansStd.
func EightGaussians() Stream { return eightGaussians{centres: eightCentres()} }

type eightGaussians struct{ centres [8][2]float64 }

// Shape returns [2].
func (eightGaussians) Shape() []int { return []int{2} }

// Sample fills dst with len(dst)/2 points.
func (g eightGaussians) Sample(rng *rand.Rand, dst []float32) {
	for k := 0; k+1 < len(dst); k += 2 {
		x, y := rng.NormFloat64()*eightNoise, rng.NormFloat64()*eightNoise
		c := g.centres[rng.IntN(len(g.centres))]
		dst[k] = float32((x + c[0]) / eightDiv)
		dst[k+1] = float32((y + c[1]) / eightDiv)
	}
}

// TwentyFiveGaussians returns the 25-Gaussians distribution of gan_toy.py:
// a uniform choice of one of the 25 centres (2x, 2y), x and y in -2..2, plus
// 0.05*N(0, I), the whole point divided by 2.828. gan_toy.py draws a fixed
// set of 100,000 such points and cycles through it; this Stream draws fresh
// points, which is the distribution that set samples. Its modes are
// TwentyFiveGaussiansModes and their spread TwentyFiveGaussiansStd.
func TwentyFiveGaussians() Stream { return twentyFiveGaussians{} }

type twentyFiveGaussians struct{}

// Shape returns [2].
func (twentyFiveGaussians) Shape() []int { return []int{2} }

// Sample fills dst with len(dst)/2 points.
func (twentyFiveGaussians) Sample(rng *rand.Rand, dst []float32) {
	for k := 0; k+1 < len(dst); k += 2 {
		c := rng.IntN(25)
		cx, cy := float64(2*(c/5-2)), float64(2*(c%5-2))
		x, y := rng.NormFloat64()*twentyFiveNoise, rng.NormFloat64()*twentyFiveNoise
		dst[k] = float32((x + cx) / twentyFiveDiv)
		dst[k+1] = float32((y + cy) / twentyFiveDiv)
	}
}

// SwissRoll returns the Swiss-roll distribution of gan_toy.py, which is
// scikit-learn's make_swiss_roll(noise=0.25) keeping coordinates 0 and 2:
// t = 1.5*pi*(1 + 2u) with u uniform on [0, 1), the point
// (t*cos t, t*sin t) + 0.25*N(0, I), divided by 7.5.
func SwissRoll() Stream { return swissRoll{} }

type swissRoll struct{}

// Shape returns [2].
func (swissRoll) Shape() []int { return []int{2} }

// Sample fills dst with len(dst)/2 points.
func (swissRoll) Sample(rng *rand.Rand, dst []float32) {
	for k := 0; k+1 < len(dst); k += 2 {
		t := 1.5 * math.Pi * (1 + 2*rng.Float64())
		x := t*math.Cos(t) + swissRollNoise*rng.NormFloat64()
		y := t*math.Sin(t) + swissRollNoise*rng.NormFloat64()
		dst[k] = float32(x / swissRollDiv)
		dst[k+1] = float32(y / swissRollDiv)
	}
}

// ToyNames returns the names that OpenToy accepts, in a fixed order.
func ToyNames() []string { return []string{"8gaussians", "25gaussians", "swissroll"} }

// OpenToy returns the toy distribution of the given gan_toy.py name:
// "8gaussians", "25gaussians" or "swissroll". An unknown name is an error
// that lists the valid names.
func OpenToy(name string) (Stream, error) {
	switch name {
	case "8gaussians":
		return EightGaussians(), nil
	case "25gaussians":
		return TwentyFiveGaussians(), nil
	case "swissroll":
		return SwissRoll(), nil
	}
	return nil, fmt.Errorf("data: unknown toy dataset %q (valid: %s)", name, strings.Join(ToyNames(), ", "))
}
