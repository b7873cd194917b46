package eval

import (
	"math/rand/v2"
	"testing"
)

func TestMMD(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func(n int, shift float32) []float32 {
		v := make([]float32, 2*n)
		for i := range v {
			v[i] = float32(rng.NormFloat64()) + shift
		}
		return v
	}
	a, b, c := draw(300, 0), draw(300, 0), draw(300, 1)
	same, err := MMD(a, b, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	diff, err := MMD(a, c, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !(diff > 0.05) || !(same < 0.01) || !(diff > 10*same) {
		t.Fatalf("mmd same %.4g, shifted %.4g", same, diff)
	}
	if _, err := MMD(a[:3], b, 2, nil); err == nil {
		t.Error("ragged input accepted")
	}
	if _, err := MMD(a, b, 2, []float64{0}); err == nil {
		t.Error("zero bandwidth accepted")
	}
}

func TestModeCoverageAndW2(t *testing.T) {
	modes := [][2]float64{{1, 0}, {-1, 0}}
	// 3 points at mode 0, 1 near mode 1, 1 far from both.
	s := []float32{1, 0, 1.01, 0, 0.99, 0.01, -1, 0.02, 0, 5}
	c, err := ModeCoverage(s, modes, 0.01, 3, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	if c.Share[0] != 0.6 || c.Share[1] != 0.2 || c.HighQuality != 0.8 || c.Covered != 1 {
		t.Fatalf("coverage %+v", c)
	}
	if _, err := ModeCoverage(s[:3], modes, 0.01, 3, 0.05); err == nil {
		t.Error("odd input accepted")
	}
	// W2 between a cloud and its translate by (3, 4) is 5.
	x := []float32{0, 0, 1, 0, 0, 1, 2, 2}
	y := make([]float32, len(x))
	for i := range x {
		y[i] = x[i] + float32(3+i%2)
	}
	w, err := W2(x, y, 2)
	if err != nil {
		t.Fatal(err)
	}
	if w < 5-1e-6 || w > 5+1e-6 {
		t.Fatalf("W2 = %v, want 5", w)
	}
}

func TestMedianDistance(t *testing.T) {
	// Three points on a line at 0, 1, 3: distances 1, 2, 3, median 2.
	h, err := MedianDistance([]float32{0, 1, 3}, 1)
	if err != nil || h != 2 {
		t.Fatalf("median %v, %v", h, err)
	}
	if _, err := MedianDistance([]float32{1}, 1); err == nil {
		t.Error("one point accepted")
	}
}
