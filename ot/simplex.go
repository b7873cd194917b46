package ot

// networkSimplex solves the balanced transport problem between a (n) and b
// (m) with the cost matrix c (row stride stride). In progress.
func networkSimplex(a, b []float64, n, m, stride int, c []float64, maxIter int) (*EMDResult, error) {
	return nil, inputErrorf("emd: network simplex not implemented yet")
}
