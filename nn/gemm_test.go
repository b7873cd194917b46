package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/gradcheck"
)

// TestGemmAllTransposes: for every pair of transpose flags the op equals
// gonum's product, and the gradient of a loss that uses the op's own first
// derivatives (a second-order expression: the squared norm of d⟨W, AB⟩/dA)
// matches central differences, which exercises every derivative rule.
func TestGemmAllTransposes(t *testing.T) {
	const m, k, n = 3, 4, 5
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			t.Run(fmt.Sprintf("transA=%v,transB=%v", tA, tB), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(3, 4))
				g := G.NewGraph()
				shapeA, shapeB := []int{m, k}, []int{k, n}
				if tA {
					shapeA = []int{k, m}
				}
				if tB {
					shapeB = []int{n, k}
				}
				at := tensor.New(tensor.WithShape(shapeA...), tensor.WithBacking(randn(rng, m*k)))
				bt := tensor.New(tensor.WithShape(shapeB...), tensor.WithBacking(randn(rng, k*n)))
				a := G.NewMatrix(g, tensor.Float64, G.WithShape(shapeA...), G.WithName("a"), G.WithValue(at))
				b := G.NewMatrix(g, tensor.Float64, G.WithShape(shapeB...), G.WithName("b"), G.WithValue(bt))
				c, err := gemm(a, b, tA, tB)
				if err != nil {
					t.Fatal(err)
				}
				// Forward against gonum.
				vm := G.NewTapeMachine(g)
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				vm.Close()
				var ga, gb mat.Matrix = mat.NewDense(shapeA[0], shapeA[1], at.Data().([]float64)), mat.NewDense(shapeB[0], shapeB[1], bt.Data().([]float64))
				if tA {
					ga = ga.T()
				}
				if tB {
					gb = gb.T()
				}
				var want mat.Dense
				want.Mul(ga, gb)
				got := c.Value().Data().([]float64)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						if d := got[i*n+j] - want.At(i, j); math.Abs(d) > 1e-12 {
							t.Fatalf("C[%d,%d] = %v, want %v", i, j, got[i*n+j], want.At(i, j))
						}
					}
				}
				// Second order: loss = |d⟨W, C⟩/dA|² + |d⟨W, C⟩/dB|², built
				// from the op's SymDiff, differentiated again by Grad.
				w := G.NewMatrix(g, tensor.Float64, G.WithShape(m, n), G.WithName("w"),
					G.WithValue(tensor.New(tensor.WithShape(m, n), tensor.WithBacking(randn(rng, m*n)))))
				d, err := (&gemmOp{transA: tA, transB: tB, m: m, n: n, k: k, dt: tensor.Float64}).SymDiff(G.Nodes{a, b}, c, w)
				if err != nil {
					t.Fatal(err)
				}
				sq := func(x *G.Node) *G.Node { return G.Must(G.Sum(G.Must(G.Square(x)))) }
				loss := G.Must(G.Add(sq(d[0]), sq(d[1])))
				res, err := gradcheck.Check(g, loss, G.Nodes{a, b, w}, gradcheck.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if res.MaxErr > 1 || res.Checked != m*k+k*n+m*n {
					t.Fatalf("gradient mismatch %.3g at %s (%d elements)", res.MaxErr, res.Where, res.Checked)
				}
			})
		}
	}
}

func randn(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// TestGemmLargeBands checks products large enough to be split into bands
// of rows over goroutines (in the openblas build) against a direct sum, for
// the four transpose pairs.
func TestGemmLargeBands(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	// m·n·k ≥ minSplitMACs; a tall thin A (k < m) as in a batch's weight
	// gradient.
	for _, sz := range [][3]int{{67, 129, 257}, {512, 64, 64}} {
		testGemmBands(t, rng, sz[0], sz[1], sz[2])
	}
}

func testGemmBands(t *testing.T, rng *rand.Rand, m, n, k int) {
	a, b := randVec(rng, m*k), randVec(rng, k*n)
	for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		op := &gemmOp{transA: tr[0], transB: tr[1], m: m, n: n, k: k}
		lda, ldb := k, n
		if tr[0] {
			lda = m
		}
		if tr[1] {
			ldb = k
		}
		c := make([]float64, m*n)
		bandGemm(op, a, lda, b, ldb, c)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for p := 0; p < k; p++ {
					av, bv := a[i*k+p], b[p*n+j]
					if tr[0] {
						av = a[p*m+i]
					}
					if tr[1] {
						bv = b[j*k+p]
					}
					s += av * bv
				}
				if math.Abs(c[i*n+j]-s) > 1e-10*(1+math.Abs(s)) {
					t.Fatalf("%d×%d×%d, transposes %v: C[%d,%d] = %g, want %g", m, n, k, tr, i, j, c[i*n+j], s)
				}
			}
		}
	}
}
