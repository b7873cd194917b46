package losses

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/nn"
)

// sqDist returns the n×m matrix of squared Euclidean distances between the
// rows of a (n×d) and b (m×d): |a|² + |b|² − 2abᵀ, one matrix product.
func sqDist(a, b *G.Node) *G.Node {
	n, m := a.Shape()[0], b.Shape()[0]
	na := must(G.Reshape(must(G.Sum(must(G.Square(a)), 1)), tensor.Shape{n, 1}))
	nb := must(G.Reshape(must(G.Sum(must(G.Square(b)), 1)), tensor.Shape{1, m}))
	ab := must(G.Mul(a, must(G.Transpose(b))))
	sum := must(G.BroadcastAdd(na, nb, []byte{1}, []byte{0}))
	return must(G.Sub(sum, must(G.Mul(ab, scalarLike(a, 2)))))
}

// scalarLike returns a constant of a's dtype.
func scalarLike(a *G.Node, v float64) *G.Node {
	if a.Dtype() == tensor.Float32 {
		return G.NewConstant(float32(v))
	}
	return G.NewConstant(v)
}

// imq returns Σ_s C_s / (C_s + D) elementwise for the squared distances D:
// the inverse multiquadratic kernel summed over scales.
func imq(d *G.Node, cs []float64) *G.Node {
	var k *G.Node
	for _, c := range cs {
		t := must(G.Mul(must(G.Inverse(must(G.Add(d, scalarLike(d, c))))), scalarLike(d, c)))
		if k == nil {
			k = t
		} else {
			k = must(G.Add(k, t))
		}
	}
	return k
}

// mmdIMQ returns the unbiased estimate of MMD² between the rows of x and y
// (both n×d) with the kernel imq(·, cs) — eq. (U-statistic) of Gretton et
// al. 2012 as used in Algorithm 2 of Tolstikhin et al. 2018:
//
//	1/(n(n−1)) Σ_{l≠j} k(x_l,x_j) + 1/(n(n−1)) Σ_{l≠j} k(y_l,y_j) − 2/n² Σ_{l,j} k(x_l,y_j).
func mmdIMQ(g *nn.Graph, x, y *G.Node, cs []float64) *G.Node {
	n := x.Shape()[0]
	off := make([]float64, n*n)
	for i := range off {
		if i/n != i%n {
			off[i] = 1
		}
	}
	mask := g.Constant("mmd.offdiag", off, n, n)
	kxx := must(G.Sum(must(G.HadamardProd(imq(sqDist(x, x), cs), mask))))
	kyy := must(G.Sum(must(G.HadamardProd(imq(sqDist(y, y), cs), mask))))
	kxy := must(G.Sum(imq(sqDist(x, y), cs)))
	nn1 := float64(n * (n - 1))
	same := must(G.Mul(must(G.Add(kxx, kyy)), scalarLike(x, 1/nn1)))
	cross := must(G.Mul(kxy, scalarLike(x, 2/float64(n*n))))
	return must(G.Sub(same, cross))
}
