package ot

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// bruteAssignment returns the minimum of sum_i c[i][p(i)] over all
// permutations p (Heap's algorithm).
func bruteAssignment(n int, c []float64) float64 {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	eval := func() float64 {
		s := 0.0
		for i, j := range p {
			s += c[i*n+j]
		}
		return s
	}
	best := eval()
	st := make([]int, n)
	for i := 0; i < n; {
		if st[i] < i {
			if i%2 == 0 {
				p[0], p[i] = p[i], p[0]
			} else {
				p[st[i]], p[i] = p[i], p[st[i]]
			}
			best = math.Min(best, eval())
			st[i]++
			i = 0
		} else {
			st[i] = 0
			i++
		}
	}
	return best
}

// randCost returns an n×m cost matrix of one of several kinds: squared
// distances of Gaussian points, uniform random, small integers (many ties).
func randCost(rng *rand.Rand, n, m, kind int) *mat.Dense {
	switch kind % 3 {
	case 0:
		C, _ := SqEuclidean(randPoints(rng, n, 2), randPoints(rng, m, 2))
		return C
	case 1:
		C := mat.NewDense(n, m, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				C.Set(i, j, rng.Float64())
			}
		}
		return C
	default:
		C := mat.NewDense(n, m, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				C.Set(i, j, float64(rng.IntN(4)))
			}
		}
		return C
	}
}

// checkAssignment verifies that r is a permutation with consistent cost and
// feasible, complementary dual potentials.
func checkAssignment(t *testing.T, C *mat.Dense, r *AssignmentResult) {
	t.Helper()
	n, _ := C.Dims()
	seen := make([]bool, n)
	sum, scale := 0.0, 1.0
	for i, j := range r.Perm {
		if j < 0 || j >= n || seen[j] {
			t.Fatalf("Perm %v is not a permutation", r.Perm)
		}
		seen[j] = true
		sum += C.At(i, j)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			scale = math.Max(scale, C.At(i, j))
		}
	}
	tol := 1e-9 * scale
	if math.Abs(sum-r.Cost) > tol*float64(n) {
		t.Fatalf("Cost %v, sum over Perm %v", r.Cost, sum)
	}
	dual := 0.0
	for i := 0; i < n; i++ {
		dual += r.U[i] + r.V[i]
		for j := 0; j < n; j++ {
			if s := C.At(i, j) - r.U[i] - r.V[j]; s < -tol {
				t.Fatalf("dual infeasible at (%d,%d): slack %v", i, j, s)
			}
		}
		if s := C.At(i, r.Perm[i]) - r.U[i] - r.V[r.Perm[i]]; math.Abs(s) > tol {
			t.Fatalf("complementary slackness fails at row %d: slack %v", i, s)
		}
	}
	if math.Abs(dual-r.Cost) > tol*float64(n) {
		t.Fatalf("dual objective %v, cost %v", dual, r.Cost)
	}
}

func TestAssignmentBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	for trial := 0; trial < 600; trial++ {
		n := 1 + trial%7
		C := randCost(rng, n, n, trial/7)
		r, err := Assignment(C)
		if err != nil {
			t.Fatal(err)
		}
		checkAssignment(t, C, r)
		if want := bruteAssignment(n, C.RawMatrix().Data); math.Abs(r.Cost-want) > 1e-12*(1+want) {
			t.Fatalf("trial %d n=%d: cost %v, brute force %v", trial, n, r.Cost, want)
		}
	}
}

func TestAssignmentSliceReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	var ws AssignmentWorkspace
	for trial := 0; trial < 50; trial++ {
		n := 1 + trial%9
		C := randCost(rng, n, n, trial)
		r, err := AssignmentSlice(n, C.RawMatrix().Data, &ws)
		if err != nil {
			t.Fatal(err)
		}
		checkAssignment(t, C, r)
	}
	C := randCost(rng, 30, 30, 0)
	data := C.RawMatrix().Data
	if _, err := AssignmentSlice(30, data, &ws); err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(20, func() { AssignmentSlice(30, data, &ws) }); allocs != 0 {
		t.Fatalf("AssignmentSlice allocates %v times per call with a warm workspace", allocs)
	}
}

func TestAssignmentLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	for _, n := range []int{50, 200, 500} {
		for kind := 0; kind < 3; kind++ {
			C := randCost(rng, n, n, kind)
			r, err := Assignment(C)
			if err != nil {
				t.Fatal(err)
			}
			checkAssignment(t, C, r)
		}
	}
}

func TestAssignmentErrors(t *testing.T) {
	for name, M := range map[string]*mat.Dense{
		"nil":      nil,
		"empty":    {},
		"nonsq":    mat.NewDense(2, 3, nil),
		"negative": mat.NewDense(2, 2, []float64{0, -1, 0, 0}),
		"nan":      mat.NewDense(2, 2, []float64{0, math.NaN(), 0, 0}),
		"inf":      mat.NewDense(2, 2, []float64{0, math.Inf(1), 0, 0}),
	} {
		if _, err := Assignment(M); !errors.Is(err, ErrInput) {
			t.Errorf("%s: err = %v, want ErrInput", name, err)
		}
	}
	if _, err := AssignmentSlice(0, nil, nil); !errors.Is(err, ErrInput) {
		t.Errorf("n=0: err = %v", err)
	}
	if _, err := AssignmentSlice(3, make([]float64, 8), nil); !errors.Is(err, ErrInput) {
		t.Errorf("short: err = %v", err)
	}
}

// TestCheckCosts covers both paths of checkCosts: the fast sum/min check
// and the exact scan that names the entry (also taken, without error,
// when huge finite costs overflow the sum).
func TestCheckCosts(t *testing.T) {
	for _, c := range []struct {
		v  float64
		ok bool
	}{{1, true}, {0, true}, {math.Copysign(0, -1), true}, {math.MaxFloat64, true}, {-1e-300, false}, {math.NaN(), false}, {math.Inf(1), false}, {math.Inf(-1), false}} {
		for _, size := range [][2]int{{1, 1}, {3, 7}, {5, 9}} {
			r, cc := size[0], size[1]
			stride := cc + 2
			data := make([]float64, r*stride)
			for i := range data {
				data[i] = float64(i % 5)
			}
			for i := range data {
				if i%stride >= cc {
					data[i] = -1 // outside the matrix: ignored
				}
			}
			if r*cc > 1 {
				data[0] = math.MaxFloat64
			}
			data[(r-1)*stride+cc-1] = c.v
			err := checkCosts(r, cc, stride, data)
			if (err == nil) != c.ok {
				t.Errorf("%dx%d with %v: err = %v", r, cc, c.v, err)
			}
		}
	}
}
