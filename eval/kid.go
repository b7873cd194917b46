package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// KIDOptions configure KID. The zero value selects 100 subsets of 1,000
// rows (the defaults of torch-fidelity's KID) and seed 0.
type KIDOptions struct {
	// Subsets is the number of random subsets whose estimates are
	// averaged (default 100).
	Subsets int
	// SubsetSize is the number of rows drawn, without replacement, from
	// each side for each subset (default 1,000); it is capped at the
	// number of rows of the smaller side.
	SubsetSize int
	// Seed seeds the choice of the subsets.
	Seed uint64
}

// KID returns the Kernel Inception Distance of Bińkowski et al. 2018
// ("Demystifying MMD GANs", §4) between the rows of x and of y (both
// row-major with d columns): the unbiased estimate of the squared maximum
// mean discrepancy for the cubic polynomial kernel
//
//	k(a, b) = (a·b/d + 1)³,
//
// that is, for subsets X, Y of m rows each,
//
//	MMD²ᵤ = Σ_{i≠j} k(xᵢ, xⱼ)/(m(m−1)) + Σ_{i≠j} k(yᵢ, yⱼ)/(m(m−1)) − 2 Σ_{i,j} k(xᵢ, yⱼ)/m²,
//
// averaged over opts.Subsets random subsets. It returns the mean and the
// standard deviation of the subset estimates. Unlike FID, the estimate is
// unbiased for any sample size, so it can be negative when the two samples
// come from the same distribution. Each side needs at least 2 finite rows.
//
// The Gram matrices are gonum BLAS products (float64) and the subsets run
// in parallel on all cores; the subsets are drawn before, from a PCG
// generator seeded with opts.Seed, so the result depends only on the
// input and the options.
func KID(x, y []float32, d int, opts KIDOptions) (mean, std float64, err error) {
	n, err := rows("eval: kid: x", x, d, 2)
	if err != nil {
		return 0, 0, err
	}
	m, err := rows("eval: kid: y", y, d, 2)
	if err != nil {
		return 0, 0, err
	}
	subsets, size := opts.Subsets, opts.SubsetSize
	if subsets == 0 {
		subsets = 100
	}
	if size == 0 {
		size = 1000
	}
	if subsets < 0 || size < 0 {
		return 0, 0, fmt.Errorf("eval: kid: %d subsets of %d rows, want positive numbers", opts.Subsets, opts.SubsetSize)
	}
	if size < 2 {
		return 0, 0, fmt.Errorf("eval: kid: subsets of %d rows, need at least 2", size)
	}
	size = min(size, n, m)
	X, Y := dense(x, d), dense(y, d)

	// Draw every subset first, so the parallel work does not change them.
	rng := rand.New(rand.NewPCG(opts.Seed, 0x6b6964))
	permX, permY := identity(n), identity(m)
	idx := make([][2][]int, subsets)
	for s := range idx {
		idx[s] = [2][]int{choose(rng, permX, size), choose(rng, permY, size)}
	}
	est := make([]float64, subsets)
	workers := min(runtime.GOMAXPROCS(0), subsets)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			a := mat.NewDense(size, d, nil)
			b := mat.NewDense(size, d, nil)
			var k polyKernel
			for s := w; s < subsets; s += workers {
				gather(a, X, idx[s][0])
				gather(b, Y, idx[s][1])
				est[s] = k.mmd2(a, b)
			}
		}(w)
	}
	wg.Wait()
	mean, std = stat.MeanStdDev(est, nil)
	if subsets == 1 {
		std = 0
	}
	if math.IsNaN(mean) || math.IsInf(mean, 0) {
		return 0, 0, fmt.Errorf("eval: kid is %v", mean)
	}
	return mean, std, nil
}

// identity returns 0, 1, ..., n−1.
func identity(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

// choose returns k distinct elements of perm drawn uniformly, by a partial
// Fisher–Yates shuffle of perm (which it reorders), as a new slice.
func choose(rng *rand.Rand, perm []int, k int) []int {
	for i := 0; i < k; i++ {
		j := i + rng.IntN(len(perm)-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return append([]int(nil), perm[:k]...)
}

// gather copies the rows idx of src into the rows of dst.
func gather(dst, src *mat.Dense, idx []int) {
	for i, r := range idx {
		copy(dst.RawRowView(i), src.RawRowView(r))
	}
}

// polyKernel computes the unbiased MMD² of the cubic polynomial kernel,
// reusing its Gram buffers.
type polyKernel struct {
	xx, yy mat.SymDense
	xy     mat.Dense
}

// mmd2 returns the unbiased MMD² between the rows of a and of b (n×d and
// m×d) for k(u, v) = (u·v/d + 1)³.
func (k *polyKernel) mmd2(a, b *mat.Dense) float64 {
	n, d := a.Dims()
	m, _ := b.Dims()
	c := 1 / float64(d)
	k.xx.Reset()
	k.yy.Reset()
	k.xy.Reset()
	k.xx.SymOuterK(c, a)
	k.yy.SymOuterK(c, b)
	k.xy.Mul(a, b.T())
	offDiag := func(s *mat.SymDense, n int) float64 {
		raw := s.RawSymmetric()
		t := 0.0
		for i := 0; i < n; i++ {
			row := raw.Data[i*raw.Stride : i*raw.Stride+n]
			for j := i + 1; j < n; j++ {
				v := row[j] + 1
				t += v * v * v
			}
		}
		return 2 * t
	}
	kxx := offDiag(&k.xx, n) / float64(n*(n-1))
	kyy := offDiag(&k.yy, m) / float64(m*(m-1))
	kxy := 0.0
	raw := k.xy.RawMatrix()
	for i := 0; i < n; i++ {
		for _, v := range raw.Data[i*raw.Stride : i*raw.Stride+m] {
			v = v*c + 1
			kxy += v * v * v
		}
	}
	kxy /= float64(n * m)
	return kxx + kyy - 2*kxy
}
