package ot

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func randPoints(rng *rand.Rand, n, d int) *mat.Dense {
	X := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			X.Set(i, j, rng.NormFloat64())
		}
	}
	return X
}

func TestCostMatchesDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range []float64{1, 2, 3, 0.5} {
		X, Y := randPoints(rng, 7, 3), randPoints(rng, 5, 3)
		C, err := Cost(X, Y, p)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 7; i++ {
			for j := 0; j < 5; j++ {
				s := 0.0
				for k := 0; k < 3; k++ {
					d := X.At(i, k) - Y.At(j, k)
					s += d * d
				}
				want := math.Pow(math.Sqrt(s), p)
				if got := C.At(i, j); math.Abs(got-want) > 1e-12*(1+want) {
					t.Fatalf("p=%v C[%d,%d] = %v, want %v", p, i, j, got, want)
				}
			}
		}
	}
}

func TestCostSelfZeroAndClamped(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	X := randPoints(rng, 20, 5)
	X.Scale(1e4, X)
	C, err := SqEuclidean(X, X)
	if err != nil {
		t.Fatal(err)
	}
	r, c := C.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if C.At(i, j) < 0 {
				t.Fatalf("negative cost %v", C.At(i, j))
			}
		}
		if C.At(i, i) > 1e-6 {
			t.Fatalf("C[%d,%d] = %v, want ~0", i, i, C.At(i, i))
		}
	}
}

func TestCostIntoReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	X, Y := randPoints(rng, 4, 2), randPoints(rng, 6, 2)
	want, _ := Cost(X, Y, 2)
	var empty mat.Dense
	if err := CostInto(&empty, X, Y, 2); err != nil {
		t.Fatal(err)
	}
	dst := mat.NewDense(4, 6, nil)
	for k := 0; k < 2; k++ {
		if err := CostInto(dst, X, Y, 2); err != nil {
			t.Fatal(err)
		}
	}
	if !mat.EqualApprox(dst, want, 1e-14) || !mat.EqualApprox(&empty, want, 1e-14) {
		t.Fatal("CostInto differs from Cost")
	}
	if err := CostInto(mat.NewDense(3, 6, nil), X, Y, 2); !errors.Is(err, ErrInput) {
		t.Fatalf("wrong shape: err = %v", err)
	}
	if err := CostInto(X, X, X, 2); !errors.Is(err, ErrInput) {
		t.Fatalf("alias: err = %v", err)
	}
}

func TestCostErrors(t *testing.T) {
	X := mat.NewDense(2, 2, []float64{0, 1, 2, 3})
	Y3 := mat.NewDense(2, 3, nil)
	bad := mat.NewDense(1, 2, []float64{math.NaN(), 0})
	inf := mat.NewDense(1, 2, []float64{0, math.Inf(1)})
	cases := []struct {
		name string
		X, Y *mat.Dense
		p    float64
	}{
		{"nil", nil, X, 2},
		{"empty", &mat.Dense{}, X, 2},
		{"dims", X, Y3, 2},
		{"nan", X, bad, 2},
		{"inf", inf, X, 2},
		{"p0", X, X, 0},
		{"pnan", X, X, math.NaN()},
		{"pneg", X, X, -1},
	}
	for _, c := range cases {
		if _, err := Cost(c.X, c.Y, c.p); !errors.Is(err, ErrInput) {
			t.Errorf("%s: err = %v, want ErrInput", c.name, err)
		}
	}
}
