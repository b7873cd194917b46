package ot

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// randWeights returns n positive weights summing to total; with zeros set,
// about a quarter of them are zero (never all).
func randWeights(rng *rand.Rand, n int, total float64, zeros bool) []float64 {
	w := make([]float64, n)
	s := 0.0
	for i := range w {
		if zeros && i > 0 && rng.IntN(4) == 0 {
			continue
		}
		w[i] = 0.05 + rng.Float64()
		s += w[i]
	}
	for i := range w {
		w[i] *= total / s
	}
	return w
}

// checkEMD verifies the plan's structure and marginals, dual feasibility,
// complementary slackness and strong duality of an EMD result.
func checkEMD(t *testing.T, a, b []float64, C *mat.Dense, r *EMDResult) {
	t.Helper()
	n, m := C.Dims()
	if a == nil {
		a = Uniform(n)
	}
	if b == nil {
		b = Uniform(m)
	}
	if r.Plan.N != n || r.Plan.M != m {
		t.Fatalf("plan is %dx%d, want %dx%d", r.Plan.N, r.Plan.M, n, m)
	}
	if len(r.Plan.Entries) > n+m-1 {
		t.Fatalf("%d non-zeros, want at most n+m-1 = %d", len(r.Plan.Entries), n+m-1)
	}
	maxC := 1.0
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			maxC = math.Max(maxC, C.At(i, j))
		}
	}
	tol := 1e-9 * maxC
	ra, rb := make([]float64, n), make([]float64, m)
	cost := 0.0
	for k, e := range r.Plan.Entries {
		if k > 0 {
			p := r.Plan.Entries[k-1]
			if p.I > e.I || (p.I == e.I && p.J >= e.J) {
				t.Fatalf("entries not sorted at %d: %v then %v", k, p, e)
			}
		}
		if !(e.W > 0) {
			t.Fatalf("entry %v has non-positive mass", e)
		}
		ra[e.I] += e.W
		rb[e.J] += e.W
		cost += e.W * C.At(e.I, e.J)
		if s := C.At(e.I, e.J) - r.U[e.I] - r.V[e.J]; math.Abs(s) > tol {
			t.Fatalf("complementary slackness fails on %v: slack %v", e, s)
		}
	}
	for i := range a {
		if math.Abs(ra[i]-a[i]) > 1e-9 {
			t.Fatalf("row marginal %d: %v, want %v", i, ra[i], a[i])
		}
	}
	for j := range b {
		if math.Abs(rb[j]-b[j]) > 1e-9 {
			t.Fatalf("column marginal %d: %v, want %v", j, rb[j], b[j])
		}
	}
	if math.Abs(cost-r.Cost) > 1e-12*(1+math.Abs(cost)) {
		t.Fatalf("Cost %v, sum over the plan %v", r.Cost, cost)
	}
	dual := 0.0
	for i := 0; i < n; i++ {
		dual += a[i] * r.U[i]
		for j := 0; j < m; j++ {
			if s := C.At(i, j) - r.U[i] - r.V[j]; s < -tol {
				t.Fatalf("dual infeasible at (%d,%d): slack %v", i, j, s)
			}
		}
	}
	for j := 0; j < m; j++ {
		dual += b[j] * r.V[j]
	}
	if math.Abs(dual-r.Cost) > tol {
		t.Fatalf("dual objective %v, primal %v", dual, r.Cost)
	}
	if r.Log.MarginalError > 1e-9 {
		t.Fatalf("Log.MarginalError = %v", r.Log.MarginalError)
	}
}

func TestEMDBruteForceUniform(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	for trial := 0; trial < 700; trial++ {
		n := 1 + trial%7
		C := randCost(rng, n, n, trial/7)
		want := bruteAssignment(n, C.RawMatrix().Data) / float64(n)
		for _, force := range []bool{false, true} {
			r, err := EMD(nil, nil, C, &EMDOptions{ForceSimplex: force})
			if err != nil {
				t.Fatal(err)
			}
			checkEMD(t, nil, nil, C, r)
			if math.Abs(r.Cost-want) > 1e-12*(1+want) {
				t.Fatalf("trial %d n=%d force=%v: cost %v, brute force %v", trial, n, force, r.Cost, want)
			}
		}
	}
}

// lpEMD solves the transport LP with gonum's simplex method.
func lpEMD(t *testing.T, a, b []float64, C *mat.Dense) float64 {
	t.Helper()
	n, m := C.Dims()
	c := make([]float64, n*m)
	// Row sums (n) and column sums but the last (m-1, the last one is
	// implied by the total mass).
	A := mat.NewDense(n+m-1, n*m, nil)
	rhs := make([]float64, n+m-1)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			c[i*m+j] = C.At(i, j)
			A.Set(i, i*m+j, 1)
			if j < m-1 {
				A.Set(n+j, i*m+j, 1)
			}
		}
		rhs[i] = a[i]
	}
	copy(rhs[n:], b[:m-1])
	opt, _, err := lp.Simplex(c, A, rhs, 1e-12, nil)
	if err != nil {
		t.Fatalf("lp.Simplex: %v", err)
	}
	return opt
}

func TestEMDMatchesLP(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 23))
	for trial := 0; trial < 150; trial++ {
		n, m := 1+rng.IntN(7), 1+rng.IntN(7)
		C := randCost(rng, n, m, trial)
		a := randWeights(rng, n, 1, trial%2 == 1)
		b := randWeights(rng, m, 1, trial%3 == 1)
		r, err := EMD(a, b, C, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkEMD(t, a, b, C, r)
		if want := lpEMD(t, a, b, C); math.Abs(r.Cost-want) > 1e-9*(1+want) {
			t.Fatalf("trial %d (%dx%d): cost %v, LP %v", trial, n, m, r.Cost, want)
		}
	}
}

func TestAssignmentMatchesSimplex(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 25))
	sizes := []int{10, 50, 200, 500}
	if testing.Short() {
		sizes = sizes[:3]
	}
	for _, n := range sizes {
		for kind := 0; kind < 3; kind++ {
			C := randCost(rng, n, n, kind)
			as, err := Assignment(C)
			if err != nil {
				t.Fatal(err)
			}
			checkAssignment(t, C, as)
			ns, err := EMD(nil, nil, C, &EMDOptions{ForceSimplex: true})
			if err != nil {
				t.Fatal(err)
			}
			checkEMD(t, nil, nil, C, ns)
			if got := as.Cost / float64(n); math.Abs(got-ns.Cost) > 1e-12*(1+ns.Cost) {
				t.Fatalf("n=%d kind %d: assignment %v, simplex %v", n, kind, got, ns.Cost)
			}
			// EMD's own choice agrees too.
			def, err := EMD(nil, nil, C, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkEMD(t, nil, nil, C, def)
			if math.Abs(def.Cost-ns.Cost) > 1e-12*(1+ns.Cost) {
				t.Fatalf("n=%d kind %d: EMD %v, simplex %v", n, kind, def.Cost, ns.Cost)
			}
		}
	}
}

func TestEMDDispatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 31))
	X, Y := randPoints(rng, 100, 2), randPoints(rng, 100, 2)
	low, _ := SqEuclidean(X, Y)
	r, err := EMD(nil, nil, low, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkEMD(t, nil, nil, low, r)
	if r.Log.Iterations != 100 {
		t.Errorf("2-D points: EMD ran the network simplex (%d pivots), want the assignment solver", r.Log.Iterations)
	}
	f, err := EMD(nil, nil, low, &EMDOptions{ForceSimplex: true})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.Cost-r.Cost) > 1e-12*(1+f.Cost) {
		t.Errorf("2-D points: assignment %v, simplex %v", r.Cost, f.Cost)
	}
	X, Y = randPoints(rng, 100, 300), randPoints(rng, 100, 300)
	high, _ := SqEuclidean(X, Y)
	if r, err = EMD(nil, nil, high, nil); err != nil {
		t.Fatal(err)
	}
	checkEMD(t, nil, nil, high, r)
	if r.Log.Iterations != 100 {
		t.Errorf("300-D points: EMD ran the network simplex (%d pivots), want the assignment solver", r.Log.Iterations)
	}
}

func TestEMDGeneralLarger(t *testing.T) {
	rng := rand.New(rand.NewPCG(26, 27))
	for _, sz := range [][2]int{{30, 70}, {100, 40}, {200, 200}} {
		for kind := 0; kind < 3; kind++ {
			C := randCost(rng, sz[0], sz[1], kind)
			a := randWeights(rng, sz[0], 2.5, kind == 1)
			b := randWeights(rng, sz[1], 2.5, kind == 2)
			r, err := EMD(a, b, C, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkEMD(t, a, b, C, r)
		}
	}
}

func TestEMDDegenerate(t *testing.T) {
	// All-equal costs: every plan is optimal.
	C := mat.NewDense(5, 5, nil)
	for i := 0; i < 5; i++ {
		for j := 0; j < 5; j++ {
			C.Set(i, j, 3)
		}
	}
	for _, force := range []bool{false, true} {
		r, err := EMD(nil, nil, C, &EMDOptions{ForceSimplex: force})
		if err != nil {
			t.Fatal(err)
		}
		checkEMD(t, nil, nil, C, r)
		if math.Abs(r.Cost-3) > 1e-12 {
			t.Fatalf("cost %v, want 3", r.Cost)
		}
	}
	// All-zero costs.
	Z := mat.NewDense(3, 4, nil)
	r, err := EMD(nil, nil, Z, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkEMD(t, nil, nil, Z, r)
	// n = 1 and m = 1.
	one := mat.NewDense(1, 1, []float64{2})
	if r, err = EMD([]float64{0.5}, []float64{0.5}, one, nil); err != nil {
		t.Fatal(err)
	}
	if len(r.Plan.Entries) != 1 || r.Plan.Entries[0].W != 0.5 || r.Cost != 1 {
		t.Fatalf("1x1: %+v", r)
	}
	row := mat.NewDense(1, 3, []float64{1, 2, 3})
	if r, err = EMD(nil, nil, row, nil); err != nil {
		t.Fatal(err)
	}
	checkEMD(t, nil, nil, row, r)
	if math.Abs(r.Cost-2) > 1e-12 {
		t.Fatalf("1x3 cost %v, want 2", r.Cost)
	}
	// Zero weights: those rows and columns carry nothing but still get
	// feasible potentials.
	C4 := mat.NewDense(3, 3, []float64{0, 1, 2, 1, 0, 1, 2, 1, 0})
	a := []float64{0.5, 0, 0.5}
	b := []float64{0, 0.5, 0.5}
	if r, err = EMD(a, b, C4, nil); err != nil {
		t.Fatal(err)
	}
	checkEMD(t, a, b, C4, r)
	if math.Abs(r.Cost-0.5) > 1e-12 {
		t.Fatalf("zero weights: cost %v, want 0.5", r.Cost)
	}
	// Uniform weights that are not 1/n and a total mass other than 1.
	u := []float64{2, 2, 2}
	C3 := randCost(rand.New(rand.NewPCG(1, 1)), 3, 3, 0)
	if r, err = EMD(u, u, C3, nil); err != nil {
		t.Fatal(err)
	}
	checkEMD(t, u, u, C3, r)
}

func TestEMD2(t *testing.T) {
	C := mat.NewDense(2, 2, []float64{0, 1, 1, 0})
	got, err := EMD2([]float64{0.75, 0.25}, []float64{0.25, 0.75}, C)
	if err != nil || math.Abs(got-0.5) > 1e-15 {
		t.Fatalf("EMD2 = %v, %v; want 0.5", got, err)
	}
	if _, err := EMD2(nil, nil, nil); !errors.Is(err, ErrInput) {
		t.Fatalf("nil M: %v", err)
	}
}

func TestEMDMaxIter(t *testing.T) {
	rng := rand.New(rand.NewPCG(28, 29))
	C := randCost(rng, 40, 40, 1)
	r, err := EMD(nil, nil, C, &EMDOptions{MaxIter: 5, ForceSimplex: true})
	if !errors.Is(err, ErrNotConverged) {
		t.Fatalf("err = %v, want ErrNotConverged", err)
	}
	if r == nil || r.Log.Iterations != 5 {
		t.Fatalf("partial result %+v", r)
	}
}

func TestEMDErrors(t *testing.T) {
	C := mat.NewDense(2, 3, []float64{0, 1, 2, 1, 0, 1})
	u2, u3 := Uniform(2), Uniform(3)
	cases := []struct {
		name string
		a, b []float64
		M    *mat.Dense
		opts *EMDOptions
	}{
		{"nil M", u2, u3, nil, nil},
		{"empty M", u2, u3, &mat.Dense{}, nil},
		{"len a", u3, u3, C, nil},
		{"len b", u2, u2, C, nil},
		{"neg a", []float64{1.5, -0.5}, u3, C, nil},
		{"nan b", u2, []float64{0.5, math.NaN(), 0.5}, C, nil},
		{"inf a", []float64{math.Inf(1), 0}, u3, C, nil},
		{"zero a", []float64{0, 0}, u3, C, nil},
		{"unbalanced", []float64{0.5, 0.6}, u3, C, nil},
		{"neg cost", u2, u3, mat.NewDense(2, 3, []float64{0, -1, 2, 1, 0, 1}), nil},
		{"nan cost", u2, u3, mat.NewDense(2, 3, []float64{0, math.NaN(), 2, 1, 0, 1}), nil},
		{"inf cost", u2, u3, mat.NewDense(2, 3, []float64{0, math.Inf(1), 2, 1, 0, 1}), nil},
		{"neg maxiter", u2, u3, C, &EMDOptions{MaxIter: -1}},
	}
	for _, c := range cases {
		if _, err := EMD(c.a, c.b, c.M, c.opts); !errors.Is(err, ErrInput) {
			t.Errorf("%s: err = %v, want ErrInput", c.name, err)
		}
	}
}
