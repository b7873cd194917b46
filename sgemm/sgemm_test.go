package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// withKernel runs f with Sgemm using the kernel called name ("gonum" for
// the fallback), or reports false when this CPU cannot run it.
func withKernel(name string, f func()) bool {
	saved := active
	defer func() { active = saved }()
	if name == "gonum" {
		active = nil
		f()
		return true
	}
	for _, k := range simdKernels() {
		if k.name == name {
			active = k
			f()
			return true
		}
	}
	return false
}

// forEachKernel runs f as a subtest on every kernel this CPU can run, each
// with B packed and read in place (for a row-major B), and on the gonum
// fallback.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	t.Run("gonum", func(t *testing.T) { withKernel("gonum", func() { f(t) }) })
	if len(simdKernels()) == 0 {
		t.Logf("no SIMD kernel on this CPU/architecture: testing the gonum fallback only")
	}
	defer func(panels, ld int) { packBPanels, packBMinLd = panels, ld }(packBPanels, packBMinLd)
	for _, k := range simdKernels() {
		for _, mode := range []struct {
			name      string
			threshold int
		}{{"packB", 0}, {"directB", math.MaxInt}} {
			t.Run(k.name+"/"+mode.name, func(t *testing.T) {
				packBPanels, packBMinLd = mode.threshold, mode.threshold
				withKernel(k.name, func() { f(t) })
			})
		}
	}
}

// gemmCase is one Sgemm call: op(A) m×k, op(B) k×n, leading dimensions
// padded by the pad values.
type gemmCase struct {
	tA, tB           blas.Transpose
	m, n, k          int
	padA, padB, padC int
	alpha, beta      float32
}

func (g gemmCase) String() string {
	return fmt.Sprintf("%c%c m=%d n=%d k=%d pad=%d,%d,%d alpha=%g beta=%g", g.tA, g.tB, g.m, g.n, g.k, g.padA, g.padB, g.padC, g.alpha, g.beta)
}

// operands returns A, B and C with their leading dimensions, filled by
// fill; the padding between rows holds a sentinel.
func (g gemmCase) operands(fill func() float32) (a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := g.m, g.k
	if g.tA != blas.NoTrans {
		ar, ac = g.k, g.m
	}
	br, bc := g.k, g.n
	if g.tB != blas.NoTrans {
		br, bc = g.n, g.k
	}
	mk := func(rows, cols, pad int) ([]float32, int) {
		ld := max(cols, 1) + pad
		s := make([]float32, max(rows*ld, 1))
		for i := range s {
			if rows > 0 && i%ld < cols {
				s[i] = fill()
			} else {
				s[i] = sentinel
			}
		}
		return s, ld
	}
	a, lda = mk(ar, ac, g.padA)
	b, ldb = mk(br, bc, g.padB)
	c, ldc = mk(g.m, g.n, g.padC)
	return
}

// sentinel fills the padding of the operands: Sgemm must neither use nor
// change it.
var sentinel = float32(math.Inf(-1))

// at returns op(X)[i, j] for X stored row-major with leading dimension ld.
func at(x []float32, ld int, t blas.Transpose, i, j int) float64 {
	if t != blas.NoTrans {
		i, j = j, i
	}
	return float64(x[i*ld+j])
}

// reference returns alpha·op(A)·op(B) + beta·C in float64 (C ignored when
// beta is 0) and, for every element, Σ|alpha·a·b| + |beta·c|, the scale of
// its rounding error.
func (g gemmCase) reference(a []float32, lda int, b []float32, ldb int, c []float32, ldc int) (want, mag []float64) {
	want = make([]float64, g.m*g.n)
	mag = make([]float64, g.m*g.n)
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			var s, sa float64
			for p := 0; p < g.k; p++ {
				v := at(a, lda, g.tA, i, p) * at(b, ldb, g.tB, p, j)
				s += v
				sa += math.Abs(v)
			}
			w := float64(g.alpha) * s
			m := math.Abs(float64(g.alpha)) * sa
			if g.beta != 0 {
				cv := float64(g.beta) * float64(c[i*ldc+j])
				w += cv
				m += math.Abs(cv)
			}
			if g.alpha == 0 {
				w, m = 0, 0
				if g.beta != 0 {
					w = float64(g.beta) * float64(c[i*ldc+j])
					m = math.Abs(w)
				}
			}
			want[i*g.n+j], mag[i*g.n+j] = w, m
		}
	}
	return want, mag
}

// check runs Sgemm on the case and compares C with the float64 reference:
// exactly when exact (integer operands whose products and sums float32
// holds exactly), else within tol·(Σ|alpha·a·b| + |beta·c|). It also checks
// that A, B and the padding of C are unchanged, and, for finite operands,
// compares with gonum's Sgemm within the same tolerance.
func check(t *testing.T, g gemmCase, fill func() float32, exact bool, tol float64) {
	t.Helper()
	a, lda, b, ldb, c, ldc := g.operands(fill)
	want, mag := g.reference(a, lda, b, ldb, c, ldc)
	a0, b0, c0 := clone(a), clone(b), clone(c)
	Implementation{}.Sgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, c, ldc)
	if !equalBits(a, a0) || !equalBits(b, b0) {
		t.Fatalf("%v: A or B changed", g)
	}
	cg := clone(c0)
	gonum.Implementation{}.Sgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, cg, ldc)
	for i := range c {
		r, j := i/ldc, i%ldc
		if r >= g.m || j >= g.n {
			if math.Float32bits(c[i]) != math.Float32bits(c0[i]) {
				t.Fatalf("%v: C[%d] outside the m×n matrix changed: %v → %v", g, i, c0[i], c[i])
			}
			continue
		}
		got, w, m := float64(c[i]), want[r*g.n+j], mag[r*g.n+j]
		if exact {
			if got != w {
				t.Fatalf("%v: C[%d,%d] = %v, want %v exactly", g, r, j, got, w)
			}
			continue
		}
		if math.IsNaN(got) || math.Abs(got-w) > tol*m+1e-30 {
			t.Fatalf("%v: C[%d,%d] = %v, want %v ± %.3g", g, r, j, got, w, tol*m)
		}
		if gv := float64(cg[i]); math.Abs(got-gv) > 2*tol*m+1e-30 {
			t.Fatalf("%v: C[%d,%d] = %v, gonum %v (|a||b| sum %.3g)", g, r, j, got, gv, m)
		}
	}
}

func clone(s []float32) []float32 { return append([]float32(nil), s...) }

func equalBits(x, y []float32) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
			return false
		}
	}
	return true
}

// tolerance returns the relative error allowed for a depth-k product:
// rounding errors of a float32 sum of k terms grow like √k units in the
// last place, here with a generous margin, yet a missing or doubled term
// (an error of 1/k of the scale) stays far outside it for k below ~10⁴.
func tolerance(k int) float64 {
	const u = 1.0 / (1 << 24)
	return 4 * (math.Sqrt(float64(k)) + 2) * u
}

var transposes = []blas.Transpose{blas.NoTrans, blas.Trans}

// sizes straddle the kernels' tiles (mr 6 and 12, nr 16 and 32) and block
// sizes (kc 256, nc 512), with 1 and primes.
var sizes = []int{1, 2, 3, 5, 6, 7, 11, 12, 13, 16, 17, 23, 31, 32, 33, 47, 48, 49, 64, 97, 127, 255, 256, 257, 263, 511, 512, 513}

func TestSgemmRandomShapes(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		normal := func() float32 { return float32(rng.NormFloat64()) }
		alphas := []float32{1, -1, 0.7, 0}
		betas := []float32{0, 1, -0.3, 2}
		n := 300
		if testing.Short() {
			n = 60
		}
		for i := 0; i < n; i++ {
			g := gemmCase{
				tA: transposes[rng.IntN(2)], tB: transposes[rng.IntN(2)],
				m: sizes[rng.IntN(len(sizes))], n: sizes[rng.IntN(len(sizes))], k: sizes[rng.IntN(len(sizes))],
				padA: rng.IntN(3) * rng.IntN(5), padB: rng.IntN(3) * rng.IntN(5), padC: rng.IntN(3) * rng.IntN(5),
				alpha: alphas[rng.IntN(len(alphas))], beta: betas[rng.IntN(len(betas))],
			}
			if g.m*g.n*g.k > 4e6 { // keep the float64 reference quick
				g.k = 1 + g.k%37
			}
			check(t, g, normal, false, tolerance(g.k))
		}
	})
}

// TestSgemmExact multiplies small integers, whose products and sums float32
// holds exactly, so that any misplaced, missing or doubled term shows as an
// exact mismatch, on every shape pair of a small set and every transpose.
func TestSgemmExact(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		small := func() float32 { return float32(rng.IntN(7) - 3) }
		dims := []int{1, 3, 12, 13, 32, 33, 70}
		for _, m := range dims {
			for _, n := range dims {
				for _, k := range []int{1, 5, 257, 600} {
					for _, tA := range transposes {
						for _, tB := range transposes {
							g := gemmCase{tA: tA, tB: tB, m: m, n: n, k: k, padA: 1, padB: 2, padC: 3, alpha: 2, beta: 0.5}
							check(t, g, small, true, 0)
						}
					}
				}
			}
		}
	})
}

// TestSgemmParallel covers products large enough to be split over
// goroutines, by rows and by columns, with 2 and 3 workers.
func TestSgemmParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		small := func() float32 { return float32(rng.IntN(5) - 2) }
		shapes := [][3]int{{300, 200, 100}, {13, 1100, 300}, {1000, 17, 260}, {97, 97, 600}, {700, 600, 20}}
		for _, procs := range []int{2, 3} {
			runtime.GOMAXPROCS(procs)
			for _, s := range shapes {
				for _, tA := range transposes {
					for _, tB := range transposes {
						g := gemmCase{tA: tA, tB: tB, m: s[0], n: s[1], k: s[2], padA: 3, padB: 0, padC: 1, alpha: -1, beta: 1}
						check(t, g, small, true, 0)
					}
				}
			}
		}
	})
}

// TestSgemmBetaZeroOverwritesNaN: with beta 0, C is written without being
// read, so NaN and Inf in C disappear, as in reference BLAS.
func TestSgemmBetaZeroOverwritesNaN(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		for _, s := range [][3]int{{1, 1, 1}, {12, 32, 7}, {13, 33, 300}, {40, 70, 5}, {200, 300, 200}} {
			for _, tA := range transposes {
				for _, tB := range transposes {
					g := gemmCase{tA: tA, tB: tB, m: s[0], n: s[1], k: s[2], padC: 2, alpha: 1.5, beta: 0}
					a, lda, b, ldb, c, ldc := g.operands(func() float32 { return 1 })
					for i := range c {
						if i%ldc < g.n {
							c[i] = float32(math.NaN())
						}
					}
					Implementation{}.Sgemm(tA, tB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, 0, c, ldc)
					for i := 0; i < g.m; i++ {
						for j := 0; j < g.n; j++ {
							if got, want := c[i*ldc+j], 1.5*float32(g.k); got != want {
								t.Fatalf("%v: C[%d,%d] = %v, want %v", g, i, j, got, want)
							}
						}
					}
				}
			}
		}
	})
}

// TestSgemmQuickReturns: m or n zero touches nothing; alpha or k zero scales
// C by beta without reading A and B (NaN there does not leak into C).
func TestSgemmQuickReturns(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		nan := float32(math.NaN())
		c := []float32{1, 2, 3, 4}
		Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, 0, 2, 3, 1, nil, 3, nil, 2, 0, c, 2)
		Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, 2, 0, 3, 1, nil, 3, nil, 1, 0, c, 2)
		if c[0] != 1 || c[3] != 4 {
			t.Fatalf("empty product changed C: %v", c)
		}
		Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, 2, 2, 0, 1, []float32{nan}, 1, []float32{nan, nan}, 2, 3, c, 2)
		if c[0] != 3 || c[1] != 6 || c[2] != 9 || c[3] != 12 {
			t.Fatalf("k = 0, beta = 3: C = %v, want 3·C", c)
		}
		if Kernel() == "gonum" {
			return // gonum's own Sgemm multiplies A·B by alpha 0
		}
		a := []float32{nan, nan, nan, nan}
		Implementation{}.Sgemm(blas.NoTrans, blas.Trans, 2, 2, 2, 0, a, 2, a, 2, 0, c, 2)
		if c[0] != 0 || c[1] != 0 || c[2] != 0 || c[3] != 0 {
			t.Fatalf("alpha = 0, beta = 0: C = %v, want zeros", c)
		}
	})
}

// TestSgemmPanics: bad arguments panic with gonum's message, in gonum's
// order of checks.
func TestSgemmPanics(t *testing.T) {
	s := make([]float32, 100)
	n, tr := blas.NoTrans, blas.Trans
	type call struct {
		tA, tB  blas.Transpose
		m, n, k int
		a       []float32
		lda     int
		b       []float32
		ldb     int
		c       []float32
		ldc     int
	}
	calls := []call{
		{'x', n, 2, 2, 2, s, 2, s, 2, s, 2},
		{n, 'y', 2, 2, 2, s, 2, s, 2, s, 2},
		{n, n, -1, 2, 2, s, 2, s, 2, s, 2},
		{n, n, 2, -1, 2, s, 2, s, 2, s, 2},
		{n, n, 2, 2, -1, s, 2, s, 2, s, 2},
		{n, n, 2, 2, 3, s, 2, s, 2, s, 2},  // lda < k
		{tr, n, 3, 2, 2, s, 2, s, 2, s, 2}, // lda < m
		{n, n, 2, 3, 2, s, 2, s, 2, s, 3},  // ldb < n
		{n, tr, 2, 2, 3, s, 3, s, 2, s, 2}, // ldb < k
		{n, n, 2, 3, 2, s, 2, s, 3, s, 2},  // ldc < n
		{n, n, 2, 2, 0, s, 0, s, 2, s, 2},  // lda 0 with k 0
		{n, n, 20, 2, 20, s, 20, s, 2, s, 2},
		{n, n, 2, 2, 60, s, 60, s, 2, s, 2},
		{n, n, 60, 2, 1, s, 1, s, 2, s, 2},
		{n, tr, 2, 60, 2, s, 2, s, 2, s, 60},
		{n, n, 0, 2, 2, s, 2, s, 2, s, 1}, // ldc < n with m 0
	}
	msg := func(f func()) (p any) {
		defer func() { p = recover() }()
		f()
		return nil
	}
	for _, name := range []string{"gonum", "avx512", "avx2"} {
		withKernel(name, func() {
			for i, cl := range calls {
				got := msg(func() {
					Implementation{}.Sgemm(cl.tA, cl.tB, cl.m, cl.n, cl.k, 1, cl.a, cl.lda, cl.b, cl.ldb, 0, cl.c, cl.ldc)
				})
				want := msg(func() {
					gonum.Implementation{}.Sgemm(cl.tA, cl.tB, cl.m, cl.n, cl.k, 1, cl.a, cl.lda, cl.b, cl.ldb, 0, cl.c, cl.ldc)
				})
				if want == nil || got != want {
					t.Errorf("%s: call %d %+v: panic %v, gonum %v", name, i, cl, got, want)
				}
			}
		})
	}
}

func TestSelectKernel(t *testing.T) {
	if k := selectKernel("gonum"); k != nil {
		t.Errorf("selectKernel(gonum) = %s, want the gonum fallback", k.name)
	}
	if k := selectKernel("GENERIC"); k != nil {
		t.Errorf("selectKernel(GENERIC) = %s, want the gonum fallback", k.name)
	}
	ks := simdKernels()
	best := selectKernel("")
	if len(ks) == 0 {
		if best != nil {
			t.Fatalf("no SIMD kernels, yet selectKernel chose %s", best.name)
		}
		return
	}
	if best != ks[0] {
		t.Errorf("selectKernel(\"\") = %s, want %s", best.name, ks[0].name)
	}
	for _, k := range ks {
		if got := selectKernel(k.name); got != k {
			t.Errorf("selectKernel(%q) = %s", k.name, got.name)
		}
	}
}

// TestEnvVarForcesFallback runs this test binary again with
// OTGEN_SGEMM=gonum and checks that the child chose gonum's Sgemm.
func TestEnvVarForcesFallback(t *testing.T) {
	if os.Getenv("SGEMM_TEST_CHILD") == "1" {
		if Kernel() != "gonum" {
			t.Fatalf("%s=%q: kernel %s, want gonum", EnvVar, os.Getenv(EnvVar), Kernel())
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestEnvVarForcesFallback$", "-test.count=1")
	cmd.Env = append(os.Environ(), EnvVar+"=gonum", "SGEMM_TEST_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child with %s=gonum: %v\n%s", EnvVar, err, out)
	}
}
