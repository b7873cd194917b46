package ot

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestSlicedWassersteinSelfZero(t *testing.T) {
	X := testCloud(51, 200, 5, 0)
	sw, err := SlicedWasserstein(X, X, nil, nil, 50, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if sw != 0 {
		t.Fatalf("SW(X, X) = %v", sw)
	}
}

func TestSlicedWassersteinTranslation(t *testing.T) {
	// A translation by c: every projection moves by <θ, c>, so
	// SW_2^2 = mean <θ_l, c>^2, which tends to |c|^2/d; and exactly
	// equals it when computed with the same directions.
	const d = 3
	X := testCloud(52, 300, d, 0)
	c := []float64{1, -2, 0.5}
	Y := mat.DenseCopyOf(X)
	for i := 0; i < 300; i++ {
		for k := 0; k < d; k++ {
			Y.Set(i, k, X.At(i, k)+c[k])
		}
	}
	sw, err := SlicedWasserstein(X, Y, nil, nil, 4000, 2, 7)
	if err != nil {
		t.Fatal(err)
	}
	want := math.Sqrt((1 + 4 + 0.25) / d)
	if math.Abs(sw-want) > 0.03*want {
		t.Fatalf("SW = %v, want ≈ %v", sw, want)
	}
}

func TestSlicedWassersteinRotation(t *testing.T) {
	// A rotation of an isotropic Gaussian cloud is still (nearly) the same
	// distribution: SW is small compared to a shifted cloud, and SW of
	// a cloud and its rotation is invariant when both are rotated.
	X := testCloud(53, 2000, 2, 0)
	rot := func(A *mat.Dense, th float64) *mat.Dense {
		R := mat.NewDense(2, 2, []float64{math.Cos(th), math.Sin(th), -math.Sin(th), math.Cos(th)})
		var B mat.Dense
		B.Mul(A, R)
		return &B
	}
	Xr := rot(X, 1.0)
	small, err := SlicedWasserstein(X, Xr, nil, nil, 200, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	shifted := mat.DenseCopyOf(X)
	for i := 0; i < 2000; i++ {
		shifted.Set(i, 0, X.At(i, 0)+1)
	}
	big, _ := SlicedWasserstein(X, shifted, nil, nil, 200, 2, 3)
	if !(small < 0.1 && big > 0.5) {
		t.Fatalf("rotated %v, shifted %v", small, big)
	}
}

func TestSlicedWassersteinDeterministicWeighted(t *testing.T) {
	X, Y := testCloud(54, 100, 4, 0), testCloud(55, 80, 4, 1)
	a, b := testWeights(56, 100), testWeights(57, 80)
	s1, err := SlicedWasserstein(X, Y, a, b, 37, 1.5, 9)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := SlicedWasserstein(X, Y, a, b, 37, 1.5, 9)
	s3, _ := SlicedWasserstein(X, Y, a, b, 37, 1.5, 10)
	if s1 != s2 || s1 == s3 || !(s1 > 0) {
		t.Fatalf("%v %v %v", s1, s2, s3)
	}
	// In 1-D every direction is ±1: SW equals W.
	x, y := randVec(1, 50, 1, 0), randVec(2, 40, 1, 1)
	w, _ := Wasserstein1D(x, y, nil, nil, 2)
	sw, err := SlicedWasserstein(mat.NewDense(50, 1, x), mat.NewDense(40, 1, y), nil, nil, 5, 2, 1)
	if err != nil || math.Abs(sw-math.Sqrt(w)) > 1e-12 {
		t.Fatalf("1-D: SW %v, W %v (%v)", sw, math.Sqrt(w), err)
	}
}

func TestSlicedWassersteinBadInput(t *testing.T) {
	X, Y := testCloud(1, 5, 2, 0), testCloud(2, 4, 2, 0)
	for name, f := range map[string]func() error{
		"nProj": func() error { _, err := SlicedWasserstein(X, Y, nil, nil, 0, 2, 1); return err },
		"p":     func() error { _, err := SlicedWasserstein(X, Y, nil, nil, 5, -1, 1); return err },
		"dims":  func() error { _, err := SlicedWasserstein(X, testCloud(3, 4, 3, 0), nil, nil, 5, 2, 1); return err },
		"a":     func() error { _, err := SlicedWasserstein(X, Y, []float64{1}, nil, 5, 2, 1); return err },
		"nil":   func() error { _, err := SlicedWasserstein(nil, Y, nil, nil, 5, 2, 1); return err },
	} {
		if err := f(); !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
