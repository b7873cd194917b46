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
