package ot

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestBarycentricMapSparseDense(t *testing.T) {
	X, Y := testCloud(81, 20, 3, 0), testCloud(82, 15, 3, 1)
	a, b := testWeights(83, 20), testWeights(84, 15)
	M := mustCost(t, X, Y)
	sk, err := Sinkhorn(a, b, M, 0.5, &SinkhornOptions{Plan: true})
	if err != nil {
		t.Fatal(err)
	}
	Td, err := BarycentricMapDense(sk.Plan, Y)
	if err != nil {
		t.Fatal(err)
	}
	var pl Plan
	pl.N, pl.M = 20, 15
	for i := 0; i < 20; i++ {
		for j := 0; j < 15; j++ {
			pl.Entries = append(pl.Entries, Entry{I: i, J: j, W: sk.Plan.At(i, j)})
		}
	}
	Ts, err := BarycentricMap(pl, Y)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.EqualApprox(Td, Ts, 1e-12) {
		t.Fatal("sparse and dense maps differ")
	}
	// A permutation plan maps x_i to y_perm(i) exactly.
	ex, err := EMD(nil, nil, mustCost(t, X, X), nil)
	if err != nil {
		t.Fatal(err)
	}
	T, err := BarycentricMap(ex.Plan, X)
	if err != nil || !mat.EqualApprox(T, X, 1e-15) {
		t.Fatalf("identity plan: %v", err)
	}
}

func TestBarycentricMapUncovered(t *testing.T) {
	Y := mat.NewDense(2, 1, []float64{1, 3})
	pl := Plan{N: 3, M: 2, Entries: []Entry{{0, 0, 0.25}, {0, 1, 0.25}, {2, 1, 0.5}}}
	T, err := BarycentricMap(pl, Y)
	var ue *UncoveredError
	if !errors.As(err, &ue) || !errors.Is(err, ErrInput) || len(ue.Rows) != 1 || ue.Rows[0] != 1 {
		t.Fatalf("err = %v", err)
	}
	if T.At(0, 0) != 2 || T.At(1, 0) != 0 || T.At(2, 0) != 3 {
		t.Fatalf("T = %v", mat.Formatted(T))
	}
	for _, bad := range []Plan{
		{N: 3, M: 3, Entries: nil},
		{N: 3, M: 2, Entries: []Entry{{5, 0, 1}}},
		{N: 3, M: 2, Entries: []Entry{{0, 0, math.NaN()}}},
		{N: 3, M: 2, Entries: []Entry{{0, 0, -1}}},
	} {
		if _, err := BarycentricMap(bad, Y); !errors.Is(err, ErrInput) || errors.As(err, &ue) {
			t.Errorf("%v: %v", bad, err)
		}
	}
	if _, err := BarycentricMapDense(mat.NewDense(2, 2, []float64{1, -1, 0, 1}), Y); !errors.Is(err, ErrInput) {
		t.Error(err)
	}
}
