package ot

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Points32 is a cloud of N points of dimension D in float32, row-major:
// point i is Data[i*D : (i+1)*D]. It is the input of the online solvers
// (SinkhornOnline, SinkhornDivergenceOnline), which never build the N×M
// cost matrix: float32 halves the memory of the coordinates and doubles the
// speed of the products, while every sum that needs it is float64.
type Points32 struct {
	N, D int
	Data []float32
}

// NewPoints32 returns the cloud of n points of dimension d held in data
// (row-major, len n·d; not copied), or an error wrapping ErrInput if the
// sizes do not match.
func NewPoints32(n, d int, data []float32) (Points32, error) {
	p := Points32{N: n, D: d, Data: data}
	if n < 1 || d < 1 || len(data) != n*d {
		return Points32{}, inputErrorf("points: %d values are not %d points of dimension %d", len(data), n, d)
	}
	return p, nil
}

// Points32FromDense returns the rows of X rounded to float32.
func Points32FromDense(X *mat.Dense) Points32 {
	n, d := X.Dims()
	p := Points32{N: n, D: d, Data: make([]float32, n*d)}
	for i := 0; i < n; i++ {
		for k, v := range X.RawRowView(i)[:d] {
			p.Data[i*d+k] = float32(v)
		}
	}
	return p
}

// Dense returns the points as an N×D float64 matrix.
func (p Points32) Dense() *mat.Dense {
	X := mat.NewDense(p.N, p.D, nil)
	for i, v := range p.Data[:p.N*p.D] {
		X.RawMatrix().Data[i] = float64(v)
	}
	return X
}

// check reports an error wrapping ErrInput unless p is a non-empty cloud
// of finite points whose data matches its size.
func (p Points32) check(name string) error {
	if p.N < 1 || p.D < 1 {
		return inputErrorf("%s: empty point cloud (%d points of dimension %d)", name, p.N, p.D)
	}
	if len(p.Data) != p.N*p.D {
		return inputErrorf("%s: %d values for %d points of dimension %d", name, len(p.Data), p.N, p.D)
	}
	for i, v := range p.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return inputErrorf("%s[%d,%d] is %v", name, i/p.D, i%p.D, v)
		}
	}
	return nil
}
