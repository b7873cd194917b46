package ot

import (
	"fmt"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// UncoveredError reports source points that a transport plan gives no mass
// to, so that the barycentric map is undefined there. It wraps ErrInput.
type UncoveredError struct {
	// Rows are the indices of the rows of the plan with zero mass.
	Rows []int
}

func (e *UncoveredError) Error() string {
	return fmt.Sprintf("%v: barycentric map: %d source points have no mass in the plan (first: %d)", ErrInput, len(e.Rows), e.Rows[0])
}

// Unwrap returns ErrInput.
func (e *UncoveredError) Unwrap() error { return ErrInput }

// BarycentricMap returns the barycentric projection of the plan onto the
// target points Y (rows y_j, plan.M×d):
//
//	T(x_i) = sum_j P_ij y_j / sum_j P_ij,
//
// an n×d matrix (n = plan.N); see e.g. Ferradans, Papadakis, Peyré, Aujol,
// "Regularized discrete optimal transport" (SIAM J. Imaging Sci. 2014) and
// the colour-transfer experiments of Fatras et al. (AISTATS 2020), which use
// it with the minibatch plan of MinibatchPlan.
//
// Rows of the plan without mass have no image: their rows of T are left at
// zero and BarycentricMap returns T together with an *UncoveredError (which
// wraps ErrInput) listing them, so that a caller can fill them in (for
// instance with the source point itself, as POT's colour-transfer example
// does). Other bad input (Y nil or with the wrong number of rows, entries out
// of range, negative or non-finite weights) is an error wrapping ErrInput
// and a nil matrix.
func BarycentricMap(plan Plan, Y *mat.Dense) (*mat.Dense, error) {
	if Y == nil || Y.IsEmpty() {
		return nil, inputErrorf("barycentric map: empty target points")
	}
	m, d := Y.Dims()
	if plan.N <= 0 || plan.M != m {
		return nil, inputErrorf("barycentric map: plan is %dx%d but Y has %d rows", plan.N, plan.M, m)
	}
	T := mat.NewDense(plan.N, d, nil)
	mass := make([]float64, plan.N)
	for k, e := range plan.Entries {
		if e.I < 0 || e.I >= plan.N || e.J < 0 || e.J >= m {
			return nil, inputErrorf("barycentric map: entry %d (%d, %d) out of range", k, e.I, e.J)
		}
		if !(e.W >= 0) || e.W > 1e308 {
			return nil, inputErrorf("barycentric map: entry %d has weight %v", k, e.W)
		}
		floats.AddScaled(T.RawRowView(e.I), e.W, Y.RawRowView(e.J))
		mass[e.I] += e.W
	}
	return T, normaliseRows(T, mass)
}

// BarycentricMapDense is BarycentricMap for a dense n×m plan P.
func BarycentricMapDense(P, Y *mat.Dense) (*mat.Dense, error) {
	if P == nil || P.IsEmpty() || Y == nil || Y.IsEmpty() {
		return nil, inputErrorf("barycentric map: empty plan or target points")
	}
	n, m := P.Dims()
	if r, _ := Y.Dims(); r != m {
		return nil, inputErrorf("barycentric map: plan is %dx%d but Y has %d rows", n, m, r)
	}
	raw := P.RawMatrix()
	if err := checkCosts(n, m, raw.Stride, raw.Data); err != nil {
		return nil, fmt.Errorf("barycentric map: plan: %w", err)
	}
	var T mat.Dense
	T.Mul(P, Y)
	mass := make([]float64, n)
	for i := range mass {
		mass[i] = floats.Sum(P.RawRowView(i))
	}
	return &T, normaliseRows(&T, mass)
}

// normaliseRows divides row i of T by mass[i] and reports the rows without
// mass.
func normaliseRows(T *mat.Dense, mass []float64) error {
	var unc []int
	for i, s := range mass {
		if s > 0 {
			floats.Scale(1/s, T.RawRowView(i))
		} else {
			unc = append(unc, i)
		}
	}
	if unc != nil {
		return &UncoveredError{Rows: unc}
	}
	return nil
}
