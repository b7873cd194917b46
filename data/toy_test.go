package data

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// sampleToy draws n points of s with a seeded generator.
func sampleToy(s Stream, n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, seed^0xabcdef))
	dst := make([]float32, 2*n)
	s.Sample(rng, dst)
	return dst
}

// nearest returns the index of the mode nearest to (x, y) and its distance.
func nearest(modes [][2]float64, x, y float64) (int, float64) {
	best, bestD := -1, math.Inf(1)
	for i, m := range modes {
		if d := math.Hypot(x-m[0], y-m[1]); d < bestD {
			best, bestD = i, d
		}
	}
	return best, bestD
}

// testMixture checks that every point is within 6 std of its nearest mode
// (for a 2-D Gaussian, the chance that one of n=20000 points is farther
// is n*exp(-18), about 3e-4, and the seed is fixed anyway), that every mode
// is hit about equally often, and that the mean is near 0.
func testMixture(t *testing.T, s Stream, modes [][2]float64, std float64) {
	t.Helper()
	const n = 20000
	pts := sampleToy(s, n, 1)
	counts := make([]int, len(modes))
	var mx, my, sq float64
	for k := 0; k < n; k++ {
		x, y := float64(pts[2*k]), float64(pts[2*k+1])
		i, d := nearest(modes, x, y)
		if d > 6*std {
			t.Fatalf("point %d (%g, %g) is %.1f std from its nearest mode %v", k, x, y, d/std, modes[i])
		}
		counts[i]++
		mx += x
		my += y
		// Squared distance in units of std: chi-squared with 2 degrees.
		sq += (d / std) * (d / std)
	}
	want := float64(n) / float64(len(modes))
	for i, c := range counts {
		if math.Abs(float64(c)-want) > 5*math.Sqrt(want) {
			t.Errorf("mode %d %v hit %d times, want about %.0f", i, modes[i], c, want)
		}
	}
	mx, my = mx/n, my/n
	if math.Hypot(mx, my) > 0.05 {
		t.Errorf("mean (%g, %g), want near (0, 0)", mx, my)
	}
	// E[chi2_2] = 2: checks the noise scale, not only its bound.
	if m := sq / n; math.Abs(m-2) > 0.1 {
		t.Errorf("mean squared distance to the nearest mode is %.3f std², want 2", m)
	}
}

func TestEightGaussians(t *testing.T) {
	modes := EightGaussiansModes()
	if len(modes) != 8 {
		t.Fatalf("%d modes, want 8", len(modes))
	}
	for i, m := range modes {
		if r := math.Hypot(m[0], m[1]); math.Abs(r-2/1.414) > 1e-3 {
			t.Errorf("mode %d %v at radius %g, want 2/1.414", i, m, r)
		}
	}
	if modes[0] != [2]float64{2 / 1.414, 0} || modes[7][0] != modes[7][1] || modes[7][0] > 0 {
		t.Errorf("modes not in gan_toy.py's order: %v", modes)
	}
	if EightGaussiansStd != 0.02/1.414 {
		t.Errorf("EightGaussiansStd = %g", EightGaussiansStd)
	}
	testMixture(t, EightGaussians(), modes, EightGaussiansStd)
}

func TestTwentyFiveGaussians(t *testing.T) {
	modes := TwentyFiveGaussiansModes()
	if len(modes) != 25 {
		t.Fatalf("%d modes, want 25", len(modes))
	}
	testMixture(t, TwentyFiveGaussians(), modes, TwentyFiveGaussiansStd)
}

func TestSwissRoll(t *testing.T) {
	const n = 20000
	pts := sampleToy(SwissRoll(), n, 2)
	var mx, my float64
	for k := 0; k < n; k++ {
		x, y := float64(pts[2*k]), float64(pts[2*k+1])
		// Noise-free, the radius t/7.5 is in [1.5pi, 4.5pi]/7.5.
		r := math.Hypot(x, y)
		lo, hi := 1.5*math.Pi/7.5-6*0.25/7.5, 4.5*math.Pi/7.5+6*0.25/7.5
		if r < lo || r > hi {
			t.Fatalf("point %d (%g, %g) at radius %g, want in [%g, %g]", k, x, y, r, lo, hi)
		}
		mx += x
		my += y
	}
	// Not centred: report the mean of gan_toy.py's roll as a sanity bound.
	mx, my = mx/n, my/n
	if math.Abs(mx) > 0.5 || math.Abs(my) > 0.5 {
		t.Errorf("mean (%g, %g) far from the roll's centre", mx, my)
	}
}

func TestToysDeterministic(t *testing.T) {
	for _, name := range ToyNames() {
		s, err := OpenToy(name)
		if err != nil {
			t.Fatal(err)
		}
		if sh := s.Shape(); len(sh) != 1 || sh[0] != 2 {
			t.Errorf("%s: Shape() = %v, want [2]", name, sh)
		}
		a, b, c := sampleToy(s, 100, 5), sampleToy(s, 100, 5), sampleToy(s, 100, 6)
		if !bitsEqual(a, b) {
			t.Errorf("%s: same seed gave different points", name)
		}
		if bitsEqual(a, c) {
			t.Errorf("%s: different seeds gave the same points", name)
		}
		// An odd length leaves the last value untouched.
		dst := []float32{0, 0, 0, 42}
		s.Sample(rand.New(rand.NewPCG(1, 2)), dst[:3])
		if dst[2] != 0 || dst[3] != 42 {
			t.Errorf("%s: Sample wrote past the last whole example: %v", name, dst)
		}
	}
}

func TestOpenToyUnknown(t *testing.T) {
	_, err := OpenToy("9gaussians")
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range append(ToyNames(), "9gaussians") {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not mention %q", err, name)
		}
	}
}
