package eval

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// gaussianRows returns n rows of d correlated Gaussian values (x = A z + μ
// with a fixed random A and μ).
func gaussianRows(rng *rand.Rand, n, d int) []float32 {
	a := make([]float64, d*d)
	for i := range a {
		a[i] = rng.NormFloat64() / math.Sqrt(float64(d))
	}
	mu := make([]float64, d)
	for i := range mu {
		mu[i] = rng.NormFloat64()
	}
	out := make([]float32, n*d)
	z := make([]float64, d)
	for r := 0; r < n; r++ {
		for i := range z {
			z[i] = rng.NormFloat64()
		}
		for i := 0; i < d; i++ {
			s := mu[i]
			for j := 0; j < d; j++ {
				s += a[i*d+j] * z[j]
			}
			out[r*d+i] = float32(s)
		}
	}
	return out
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

// TestFIDExact checks FID on cases whose value follows from its formula:
// a sample against itself (0), against its translate by c (‖c‖²), against
// its double (‖μ‖² + tr Σ) and in 1-D ((μx−μy)² + (σx−σy)²).
func TestFIDExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	const n, d = 400, 6
	x := gaussianRows(rng, n, d)
	mu, cov := gaussianFit(dense(x, d))
	trace, mu2 := 0.0, 0.0
	for i := 0; i < d; i++ {
		trace += cov.At(i, i)
		mu2 += mu[i] * mu[i]
	}
	self, err := FID(x, x, d)
	if err != nil {
		t.Fatal(err)
	}
	if self > 1e-9*trace {
		t.Errorf("FID(x, x) = %g, want 0", self)
	}
	shift := []float32{1, -2, 0.5, 0, 3, -1} // ‖c‖² = 15.25
	y := make([]float32, len(x))
	z := make([]float32, len(x))
	for i, v := range x {
		y[i] = v + shift[i%d]
		z[i] = 2 * v
	}
	// The translate loses float32 precision; compare with its own mean.
	f, err := FID(x, y, d)
	if err != nil {
		t.Fatal(err)
	}
	if !near(f, 15.25, 1e-5) {
		t.Errorf("FID(x, x+c) = %.8g, want 15.25", f)
	}
	f, err = FID(x, z, d)
	if err != nil {
		t.Fatal(err)
	}
	if !near(f, mu2+trace, 1e-9) {
		t.Errorf("FID(x, 2x) = %.10g, want ‖μ‖² + tr Σ = %.10g", f, mu2+trace)
	}
	// 1-D: two samples with different means and deviations.
	a, b := make([]float32, 1000), make([]float32, 700)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	for i := range b {
		b[i] = float32(3 + 2*rng.NormFloat64())
	}
	ma, ca := gaussianFit(dense(a, 1))
	mb, cb := gaussianFit(dense(b, 1))
	want := (ma[0]-mb[0])*(ma[0]-mb[0]) + math.Pow(math.Sqrt(ca.At(0, 0))-math.Sqrt(cb.At(0, 0)), 2)
	f, err = FID(a, b, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !near(f, want, 1e-9) || !near(f, 10, 0.15) {
		t.Errorf("1-D FID %.10g, want %.10g (about 9+1)", f, want)
	}
}

func TestBadInput(t *testing.T) {
	good := []float32{0, 1, 2, 3, 4, 5}
	nan := []float32{0, 1, 2, float32(math.NaN()), 4, 5}
	type metric struct {
		name string
		f    func(x, y []float32, d int) error
	}
	metrics := []metric{
		{"FID", func(x, y []float32, d int) error { _, err := FID(x, y, d); return err }},
		{"KID", func(x, y []float32, d int) error { _, _, err := KID(x, y, d, KIDOptions{}); return err }},
		{"MMD", func(x, y []float32, d int) error { _, err := MMD(x, y, d, nil); return err }},
		{"PixelMMD", func(x, y []float32, d int) error { _, err := PixelMMD(x, y, d); return err }},
		{"ReconstructionError", func(x, y []float32, d int) error { _, err := ReconstructionError(x, y, d); return err }},
	}
	for _, m := range metrics {
		if err := m.f(good, good, 2); err != nil {
			t.Errorf("%s of good input: %v", m.name, err)
		}
		cases := []struct {
			what string
			x, y []float32
			d    int
		}{
			{"ragged", good, good[:5], 2},
			{"dimension 0", good, good, 0},
			{"NaN", good, nan, 2},
			{"one row", good[:2], good, 2},
		}
		for _, c := range cases {
			if c.what == "one row" && m.name == "ReconstructionError" {
				c.what, c.y = "different counts", good[:4]
			}
			err := m.f(c.x, c.y, c.d)
			if err == nil {
				t.Errorf("%s accepted %s input", m.name, c.what)
			} else if !strings.HasPrefix(err.Error(), "eval: ") {
				t.Errorf("%s: error %q lacks context", m.name, err)
			}
		}
	}
	if _, _, err := KID(good, good, 2, KIDOptions{SubsetSize: 1}); err == nil {
		t.Error("KID accepted subsets of one row")
	}
	if _, _, err := KID(good, good, 2, KIDOptions{Subsets: -1}); err == nil {
		t.Error("KID accepted -1 subsets")
	}
	img := make([]float32, 3*16*16)
	if _, err := PyramidSWD(img, img[:len(img)-1], 3, 16, 16, SWDOptions{}); err == nil {
		t.Error("PyramidSWD accepted a ragged image")
	}
	if _, err := PyramidSWD(img, img, 3, 16, 8, SWDOptions{}); err == nil {
		t.Error("PyramidSWD accepted images smaller than 14")
	}
	if _, err := PyramidSWD(img, nil, 3, 16, 16, SWDOptions{}); err == nil {
		t.Error("PyramidSWD accepted an empty set")
	}
	img[5] = float32(math.Inf(1))
	if _, err := PyramidSWD(img, img, 3, 16, 16, SWDOptions{}); err == nil {
		t.Error("PyramidSWD accepted Inf")
	}
	if _, err := PyramidSWD(img, img, 3, 16, 16, SWDOptions{MinSize: 3}); err == nil {
		t.Error("PyramidSWD accepted a min size below the patch size")
	}
}

// TestKIDUnbiased draws many small samples from two distributions on a few
// points, for which the population MMD² of the cubic kernel is a finite
// sum, and checks that the mean of KID matches it within 4 standard
// errors, while the biased V-statistic of the same samples does not.
func TestKIDUnbiased(t *testing.T) {
	const d = 2
	p := [][d]float32{{0, 0}, {1, 2}, {-1, 1}}
	pw := []float64{0.5, 0.3, 0.2}
	q := [][d]float32{{0, 1}, {2, 0}}
	qw := []float64{0.6, 0.4}
	k := func(a, b [d]float32) float64 {
		v := (float64(a[0])*float64(b[0])+float64(a[1])*float64(b[1]))/d + 1
		return v * v * v
	}
	pop := 0.0
	for i := range p {
		for j := range p {
			pop += pw[i] * pw[j] * k(p[i], p[j])
		}
		for j := range q {
			pop -= 2 * pw[i] * qw[j] * k(p[i], q[j])
		}
	}
	for i := range q {
		for j := range q {
			pop += qw[i] * qw[j] * k(q[i], q[j])
		}
	}
	draw := func(rng *rand.Rand, pts [][d]float32, w []float64, m int) [][d]float32 {
		out := make([][d]float32, m)
		for i := range out {
			u, j := rng.Float64(), 0
			for ; j < len(w)-1 && u >= w[j]; j++ {
				u -= w[j]
			}
			out[i] = pts[j]
		}
		return out
	}
	flat := func(v [][d]float32) []float32 {
		out := make([]float32, 0, len(v)*d)
		for _, r := range v {
			out = append(out, r[:]...)
		}
		return out
	}
	vstat := func(x, y [][d]float32) float64 {
		s := 0.0
		for _, a := range x {
			for _, b := range x {
				s += k(a, b) / float64(len(x)*len(x))
			}
			for _, b := range y {
				s -= 2 * k(a, b) / float64(len(x)*len(y))
			}
		}
		for _, a := range y {
			for _, b := range y {
				s += k(a, b) / float64(len(y)*len(y))
			}
		}
		return s
	}
	rng := rand.New(rand.NewPCG(5, 6))
	const trials, m = 4000, 6
	var su, su2, sv, sv2 float64
	for i := 0; i < trials; i++ {
		x, y := draw(rng, p, pw, m), draw(rng, q, qw, m)
		u, std, err := KID(flat(x), flat(y), d, KIDOptions{Subsets: 1, SubsetSize: m, Seed: uint64(i)})
		if err != nil {
			t.Fatal(err)
		}
		if std != 0 {
			t.Fatalf("one subset has deviation %v", std)
		}
		v := vstat(x, y)
		su += u
		su2 += u * u
		sv += v
		sv2 += v * v
	}
	meanU, meanV := su/trials, sv/trials
	seU := math.Sqrt((su2/trials - meanU*meanU) / trials)
	seV := math.Sqrt((sv2/trials - meanV*meanV) / trials)
	t.Logf("population MMD² %.4f; KID mean %.4f ± %.4f; V-statistic mean %.4f ± %.4f", pop, meanU, seU, meanV, seV)
	if math.Abs(meanU-pop) > 4*seU {
		t.Errorf("KID mean %.4f is %.1f standard errors from the population MMD² %.4f", meanU, math.Abs(meanU-pop)/seU, pop)
	}
	if math.Abs(meanV-pop) < 8*seV {
		t.Errorf("the biased V-statistic (%.4f) is within 8 standard errors of %.4f: the test cannot tell biased from unbiased", meanV, pop)
	}
}

// TestKIDFormula compares KID with one subset holding every row (a
// permutation of the sample) with the U-statistic computed pair by pair.
func TestKIDFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n, d = 50, 3
	x := gaussianRows(rng, n, d)
	y := gaussianRows(rng, n, d)
	k := func(a, b []float32) float64 {
		s := 0.0
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		v := s/d + 1
		return v * v * v
	}
	want := 0.0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			xi, xj := x[i*d:(i+1)*d], x[j*d:(j+1)*d]
			yi, yj := y[i*d:(i+1)*d], y[j*d:(j+1)*d]
			if i != j {
				want += (k(xi, xj) + k(yi, yj)) / (n * (n - 1))
			}
			want -= 2 * k(xi, yj) / (n * n)
		}
	}
	got, _, err := KID(x, y, d, KIDOptions{Subsets: 1, SubsetSize: n})
	if err != nil {
		t.Fatal(err)
	}
	if !near(got, want, 1e-10) {
		t.Errorf("KID %.12g, pairwise U-statistic %.12g", got, want)
	}
	// Many subsets: deterministic for a seed, different for another.
	a, sa, _ := KID(x, y, d, KIDOptions{Subsets: 20, SubsetSize: 30, Seed: 1})
	b, sb, _ := KID(x, y, d, KIDOptions{Subsets: 20, SubsetSize: 30, Seed: 1})
	c, _, _ := KID(x, y, d, KIDOptions{Subsets: 20, SubsetSize: 30, Seed: 2})
	if a != b || sa != sb || a == c || !(sa > 0) {
		t.Errorf("KID seed 1: %v ± %v and %v ± %v; seed 2: %v", a, sa, b, sb, c)
	}
}

// TestMMDMatchesPairwise checks the BLAS form of MMD against the
// definition computed pair by pair.
func TestMMDMatchesPairwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const d = 5
	x := gaussianRows(rng, 300, d) // more rows than one Gram block
	y := gaussianRows(rng, 40, d)
	bw := []float64{0.5, 2}
	k := func(a, b []float32) float64 {
		s := 0.0
		for i := range a {
			t := float64(a[i]) - float64(b[i])
			s += t * t
		}
		return math.Exp(-s/(2*bw[0]*bw[0])) + math.Exp(-s/(2*bw[1]*bw[1]))
	}
	sum := func(a, b []float32, same bool) float64 {
		t := 0.0
		for i := 0; i < len(a)/d; i++ {
			for j := 0; j < len(b)/d; j++ {
				if !same || i != j {
					t += k(a[i*d:(i+1)*d], b[j*d:(j+1)*d])
				}
			}
		}
		return t
	}
	n, m := 300.0, 40.0
	want := sum(x, x, true)/(n*(n-1)) + sum(y, y, true)/(m*(m-1)) - 2*sum(x, y, false)/(n*m)
	got, err := MMD(x, y, d, bw)
	if err != nil {
		t.Fatal(err)
	}
	if !near(got, want, 1e-10) {
		t.Errorf("MMD %.12g, pairwise %.12g", got, want)
	}
}

func TestLabelKL(t *testing.T) {
	for _, c := range []struct {
		labels  []int
		classes int
		want    float64
	}{
		{[]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10, 0},
		{[]int{3, 3, 3}, 10, math.Log(10)},
		{[]int{0, 1, 0, 1}, 10, math.Log(5)},
		{[]int{0, 0, 0, 1}, 2, 0.75*math.Log(1.5) + 0.25*math.Log(0.5)},
	} {
		got, err := LabelKL(c.labels, c.classes)
		if err != nil || !near(got, c.want, 1e-12) {
			t.Errorf("LabelKL(%v, %d) = %v, %v; want %v", c.labels, c.classes, got, err, c.want)
		}
	}
	for _, c := range []struct {
		labels  []int
		classes int
	}{{nil, 10}, {[]int{0}, 1}, {[]int{0, 10}, 10}, {[]int{-1}, 10}} {
		if _, err := LabelKL(c.labels, c.classes); err == nil {
			t.Errorf("LabelKL(%v, %d) accepted", c.labels, c.classes)
		}
	}
}

func TestReconstructionError(t *testing.T) {
	x := []float32{0, 0, 1, 1, 2, 2}
	xhat := []float32{3, 4, 1, 1, 2, 3} // squared distances 25, 0, 1
	got, err := ReconstructionError(x, xhat, 2)
	if err != nil || !near(got, 26.0/3, 1e-12) {
		t.Errorf("ReconstructionError = %v, %v; want 26/3", got, err)
	}
}

// TestPyramid checks the pyramid geometry, that a constant image has zero
// Laplacian bands (the up-sampling filter keeps constants, borders
// included), and that a set of images is at distance 0 from itself.
func TestPyramid(t *testing.T) {
	for _, c := range []struct{ h, w, min int }{{28, 28, 14}, {64, 64, 14}, {64, 48, 14}, {16, 16, 14}, {1024, 1024, 14}} {
		ls := pyramidLevels(c.h, c.w, c.min)
		var got []int
		for _, l := range ls {
			got = append(got, l.h)
		}
		t.Logf("%d×%d: levels %v", c.h, c.w, got)
		last := ls[len(ls)-1]
		if min(last.h, last.w) < c.min || min((last.h+1)/2, (last.w+1)/2) >= c.min {
			t.Errorf("%d×%d: levels %v", c.h, c.w, ls)
		}
	}
	if n := len(pyramidLevels(64, 64, 14)); n != 3 {
		t.Errorf("64×64 has %d levels, want 3 (64, 32, 16)", n)
	}
	levels := pyramidLevels(28, 28, 14)
	img := make([]float32, 2*28*28)
	for i := range img {
		img[i] = 0.25 + float32(i/(28*28)) // channel 0: 0.25, channel 1: 1.25
	}
	var p pyramid
	p.build(img, 2, levels)
	for i, v := range p.levels[0] {
		if math.Abs(v) > 1e-12 {
			t.Fatalf("Laplacian band of a constant image: value %d is %v", i, v)
		}
	}
	for i, v := range p.levels[1] {
		want := 0.25 + float64(i/(14*14))
		if math.Abs(v-want) > 1e-12 {
			t.Fatalf("low-pass level of a constant image: value %d is %v, want %v", i, v, want)
		}
	}
	rng := rand.New(rand.NewPCG(3, 3))
	x := make([]float32, 20*3*32*32)
	for i := range x {
		x[i] = float32(rng.Float64())
	}
	swd, err := PyramidSWD(x, x, 3, 32, 32, SWDOptions{Directions: 64})
	if err != nil {
		t.Fatal(err)
	}
	if len(swd) != 2 || swd[0] != 0 || swd[1] != 0 {
		t.Errorf("SWD of a set with itself %v, want [0 0]", swd)
	}
	// Blank images (constant channels) are allowed and far from noise.
	blank := make([]float32, len(x))
	swd, err = PyramidSWD(x, blank, 3, 32, 32, SWDOptions{Directions: 64})
	if err != nil || !(swd[0] > 0.1 && swd[1] > 0.1) {
		t.Errorf("SWD of noise and blank images %v, %v", swd, err)
	}
}
