package eval_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"otgen/classifier"
	"otgen/data"
	"otgen/eval"
)

// corruption changes a set of n images of shape c×h×w at a strength.
type corruption struct {
	name      string
	strengths []float64
	apply     func(x []float32, n, c, h, w int, s float64) []float32
}

// corruptions are the shifts, blurs and noises whose strength the metrics
// must follow: shift by 1 to 4 pixels (right and down, zeros coming in),
// Gaussian blur of deviation 1 to 2.5 pixels, Gaussian noise of deviation
// 0.1 to 0.4 (pixels are in [0, 1]).
var corruptions = []corruption{
	{"shift", []float64{1, 2, 3, 4}, func(x []float32, n, c, h, w int, s float64) []float32 {
		return translate(x, n, c, h, w, int(s))
	}},
	{"blur", []float64{1, 1.5, 2, 2.5}, func(x []float32, n, c, h, w int, s float64) []float32 {
		return gaussianBlur(x, n*c, h, w, s)
	}},
	{"noise", []float64{0.1, 0.2, 0.3, 0.4}, func(x []float32, n, c, h, w int, s float64) []float32 {
		return addNoise(x, s, uint64(1000*s))
	}},
}

// translate moves every image k pixels right and k pixels down, filling
// with zeros.
func translate(x []float32, n, c, h, w, k int) []float32 {
	out := make([]float32, len(x))
	for p := 0; p < n*c; p++ {
		src, dst := x[p*h*w:(p+1)*h*w], out[p*h*w:(p+1)*h*w]
		for y := k; y < h; y++ {
			copy(dst[y*w+k:(y+1)*w], src[(y-k)*w:(y-k+1)*w-k])
		}
	}
	return out
}

// gaussianBlur blurs each of the planes h×w of x with a Gaussian of
// deviation sigma (pixels), borders clamped.
func gaussianBlur(x []float32, planes, h, w int, sigma float64) []float32 {
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	sum := 0.0
	for i := range k {
		t := float64(i - r)
		k[i] = math.Exp(-t * t / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	clamp := func(i, n int) int { return min(max(i, 0), n-1) }
	out := make([]float32, len(x))
	tmp := make([]float64, h*w)
	for p := 0; p < planes; p++ {
		src, dst := x[p*h*w:(p+1)*h*w], out[p*h*w:(p+1)*h*w]
		for y := 0; y < h; y++ {
			for xx := 0; xx < w; xx++ {
				s := 0.0
				for i, f := range k {
					s += f * float64(src[y*w+clamp(xx+i-r, w)])
				}
				tmp[y*w+xx] = s
			}
		}
		for y := 0; y < h; y++ {
			for xx := 0; xx < w; xx++ {
				s := 0.0
				for i, f := range k {
					s += f * tmp[clamp(y+i-r, h)*w+xx]
				}
				dst[y*w+xx] = float32(s)
			}
		}
	}
	return out
}

// addNoise adds independent N(0, sigma²) noise to every value.
func addNoise(x []float32, sigma float64, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 77))
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = v + float32(sigma*rng.NormFloat64())
	}
	return out
}

var (
	lenetOnce sync.Once
	lenet     *classifier.Classifier
	lenetErr  error
)

// trainedClassifier trains, once per test binary, a classifier on the
// first 20,000 MNIST training digits for one epoch (about 98% test
// accuracy, enough for a feature space; the full training is tested in
// package classifier).
func trainedClassifier(t *testing.T, dir string) *classifier.Classifier {
	t.Helper()
	lenetOnce.Do(func() {
		train, err := data.LoadMNIST(dir, "train")
		if err != nil {
			lenetErr = err
			return
		}
		c, err := classifier.New(1)
		if err != nil {
			lenetErr = err
			return
		}
		lenetErr = c.Train(context.Background(), train, classifier.TrainOptions{Epochs: 1, Limit: 20000}, nil)
		lenet = c
	})
	if lenetErr != nil {
		t.Fatal(lenetErr)
	}
	return lenet
}

// labelCorruptions are stronger versions for LabelKL, which measures mode
// coverage: it only moves once a corruption changes which digit the
// classifier sees (noise of deviation 0.1 or 0.2 leaves the label
// histogram as it is, up to sampling noise).
var labelCorruptions = []corruption{
	{"shift", []float64{2, 3, 4, 5}, corruptions[0].apply},
	{"blur", []float64{1.5, 2, 2.5, 3}, corruptions[1].apply},
	{"noise", []float64{0.3, 0.4, 0.5, 0.6}, corruptions[2].apply},
}

// halves splits the n examples of set (d values each) into two random
// halves of size k each, with a fixed seed: two independent samples of one
// distribution. (The MNIST test split's first and last 5,000 digits come
// from different writers and are not.)
func halves(set data.Labeled, k, d int) (a, b []float32, la, lb []int) {
	perm := rand.New(rand.NewPCG(1, 1)).Perm(set.Len())
	a, b = make([]float32, k*d), make([]float32, k*d)
	la, lb = make([]int, k), make([]int, k)
	for i := 0; i < k; i++ {
		set.Example(perm[i], a[i*d:(i+1)*d])
		set.Example(perm[k+i], b[i*d:(i+1)*d])
		la[i], lb[i] = set.Label(perm[i]), set.Label(perm[k+i])
	}
	return a, b, la, lb
}

// increasing fails the test unless base < vals[0] < vals[1] < ...
func increasing(t *testing.T, what string, base float64, vals []float64) {
	t.Helper()
	prev := base
	for _, v := range vals {
		if !(v > prev) {
			t.Errorf("%s: %.5g against an independent sample, then %.5g with growing strength: not increasing", what, base, vals)
			return
		}
		prev = v
	}
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// TestMNISTMetricsFollowCorruption compares a random half of the MNIST
// test digits (A) with itself, with the other half (B) and with B shifted,
// blurred and noised at growing strengths: every metric must be (near) 0
// for A against A and A against B and grow with each corruption's
// strength. FID, KID and LabelKL use the features and the predicted labels
// of a classifier trained in the test.
func TestMNISTMetricsFollowCorruption(t *testing.T) {
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		t.Skip("OTGEN_DATA not set: skipping the MNIST metric tests")
	}
	c := trainedClassifier(t, dir)
	test, err := data.LoadMNIST(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	const n, d = 2000, 784
	a, b, _, lb := halves(test, n, d)
	fa, dim, err := c.Features(a, n)
	if err != nil {
		t.Fatal(err)
	}
	kidOpts := eval.KIDOptions{Subsets: 20, Seed: 3}
	swdOpts := eval.SWDOptions{PatchesPerImage: 8, Directions: 128, Seed: 4}
	type values struct{ fid, kid, kidStd, swdMean, swdFine, mmd, rec float64 }
	measure := func(y []float32) values {
		t.Helper()
		var v values
		fy, _, err := c.Features(y, n)
		if err != nil {
			t.Fatal(err)
		}
		if v.fid, err = eval.FID(fa, fy, dim); err != nil {
			t.Fatal(err)
		}
		if v.kid, v.kidStd, err = eval.KID(fa, fy, dim, kidOpts); err != nil {
			t.Fatal(err)
		}
		swd, err := eval.PyramidSWD(a, y, 1, 28, 28, swdOpts)
		if err != nil {
			t.Fatal(err)
		}
		v.swdMean, v.swdFine = mean(swd), swd[0]
		if v.mmd, err = eval.PixelMMD(a[:1000*d], y[:1000*d], d); err != nil {
			t.Fatal(err)
		}
		// B stands for held-out data and y for its reconstruction.
		if v.rec, err = eval.ReconstructionError(b, y, d); err != nil {
			t.Fatal(err)
		}
		return v
	}
	self, indep := measure(a), measure(b)
	t.Logf("A vs A: %+v", self)
	t.Logf("A vs B: %+v", indep)
	// KID and MMD of A against itself are not checked: their subsets or
	// pairs share rows, and the unbiased estimate, meant for independent
	// samples, is then slightly negative; A against B is their 0.
	if self.fid > 1e-6 || self.swdMean != 0 {
		t.Errorf("a sample against itself: FID %g, SWD %g", self.fid, self.swdMean)
	}
	if indep.rec != 0 {
		t.Errorf("reconstruction error of B against itself %g", indep.rec)
	}
	if math.Abs(indep.kid) > 3*indep.kidStd {
		t.Errorf("KID of two halves of the test digits %g ± %g, not 0 within 3 deviations", indep.kid, indep.kidStd)
	}
	for _, cr := range corruptions {
		var fid, kid, swdMean, swdFine, mmd, rec []float64
		for _, s := range cr.strengths {
			v := measure(cr.apply(b, n, 1, 28, 28, s))
			t.Logf("%s %g: %+v", cr.name, s, v)
			fid, kid, mmd, rec = append(fid, v.fid), append(kid, v.kid), append(mmd, v.mmd), append(rec, v.rec)
			swdMean, swdFine = append(swdMean, v.swdMean), append(swdFine, v.swdFine)
		}
		increasing(t, cr.name+" FID", indep.fid, fid)
		increasing(t, cr.name+" KID", indep.kid, kid)
		increasing(t, cr.name+" SWD (mean over levels)", indep.swdMean, swdMean)
		increasing(t, cr.name+" SWD (finest level)", indep.swdFine, swdFine)
		increasing(t, cr.name+" pixel MMD", indep.mmd, mmd)
		increasing(t, cr.name+" reconstruction error", indep.rec, rec)
		// The independent sample is near 0 on the scale of the corruptions
		// (for SWD, see TestSWDSamplingFloor).
		for _, m := range []struct {
			name        string
			base, worst float64
		}{{"FID", indep.fid, fid[3]}, {"pixel MMD", indep.mmd, mmd[3]}} {
			if !(math.Abs(m.base) < 0.1*m.worst) {
				t.Errorf("%s: %s of an independent sample %.4g is not small next to the strongest %s (%.4g)", cr.name, m.name, m.base, cr.name, m.worst)
			}
		}
	}

	// LabelKL: near 0 for real digits, growing with strong corruptions and
	// with the number of digits dropped.
	kl := func(y []float32, k int) float64 {
		t.Helper()
		pred, err := c.Predict(y, k)
		if err != nil {
			t.Fatal(err)
		}
		v, err := eval.LabelKL(pred, classifier.Classes)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	base := kl(b, n)
	trueKL, _ := eval.LabelKL(lb, classifier.Classes)
	t.Logf("LabelKL of B: predicted labels %.4f, true labels %.4f", base, trueKL)
	if base > 0.01 || trueKL > 0.01 {
		t.Errorf("LabelKL of real digits %.4f (true labels %.4f), want < 0.01", base, trueKL)
	}
	for _, cr := range labelCorruptions {
		var vals []float64
		for _, s := range cr.strengths {
			vals = append(vals, kl(cr.apply(b, n, 1, 28, 28, s), n))
		}
		t.Logf("LabelKL %s %v: %.4f", cr.name, cr.strengths, vals)
		increasing(t, cr.name+" LabelKL", base, vals)
	}
	var dropped []float64
	for drop := 1; drop <= 4; drop++ {
		var keep []float32
		for i, l := range lb {
			if l >= drop {
				keep = append(keep, b[i*d:(i+1)*d]...)
			}
		}
		dropped = append(dropped, kl(keep, len(keep)/d))
	}
	t.Logf("LabelKL with digits 0..k-1 dropped, k = 1..4: %.4f (uniform over 10-k digits: %.4f, %.4f, %.4f, %.4f)",
		dropped, math.Log(10./9), math.Log(10./8), math.Log(10./7), math.Log(10./6))
	increasing(t, "dropped digits LabelKL", base, dropped)
}

// TestCelebASWDFollowsCorruption does the same for PyramidSWD on 64×64
// CelebA faces (three pyramid levels: 64, 32, 16). Pixel MMD is left to
// the MNIST test: on 12,288 values an image it costs more than the SWD.
func TestCelebASWDFollowsCorruption(t *testing.T) {
	dir, err := data.DefaultCelebADir()
	if err != nil {
		t.Skip("OTGEN_DATA not set: skipping the CelebA metric tests")
	}
	const n, c, h, w = 300, 3, 64, 64
	set, err := data.OpenCelebA(dir, data.CelebAOptions{Limit: 2 * n})
	if err != nil {
		t.Fatal(err)
	}
	const d = c * h * w
	a, b := make([]float32, n*d), make([]float32, n*d)
	for i := 0; i < n; i++ {
		set.Example(i, a[i*d:(i+1)*d])
		set.Example(n+i, b[i*d:(i+1)*d])
	}
	opts := eval.SWDOptions{PatchesPerImage: 32, Directions: 256, Seed: 5}
	measure := func(y []float32) []float64 {
		t.Helper()
		swd, err := eval.PyramidSWD(a, y, c, h, w, opts)
		if err != nil {
			t.Fatal(err)
		}
		return swd
	}
	if self := measure(a); fmt.Sprint(self) != "[0 0 0]" {
		t.Errorf("SWD of a set with itself %v", self)
	}
	indep := measure(b)
	t.Logf("independent: SWD %.4f", indep)
	for _, cr := range corruptions {
		var means, fine []float64
		for _, s := range cr.strengths {
			swd := measure(cr.apply(b, n, c, h, w, s))
			t.Logf("%s %g: SWD %.4f", cr.name, s, swd)
			means, fine = append(means, mean(swd)), append(fine, swd[0])
		}
		increasing(t, cr.name+" SWD (mean over levels)", mean(indep), means)
		increasing(t, cr.name+" SWD (finest level)", indep[0], fine)
	}
}

// TestSWDSamplingFloor checks that the SWD between two independent samples
// of MNIST digits is a sampling floor that falls towards 0 as the samples
// grow (as the inverse square root of their size), while the SWD to
// blurred digits stays put: the distance between independent samples is
// an estimation error, not a difference of distributions.
func TestSWDSamplingFloor(t *testing.T) {
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		t.Skip("OTGEN_DATA not set: skipping the MNIST metric tests")
	}
	test, err := data.LoadMNIST(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	const d = 784
	a, b, _, _ := halves(test, 4800, d)
	blurred := corruptions[1].apply(b, 4800, 1, 28, 28, 1)
	sizes := []int{300, 1200, 4800}
	var indep, blur []float64
	for _, n := range sizes {
		opts := eval.SWDOptions{PatchesPerImage: 8, Directions: 128, Seed: 6}
		s1, err := eval.PyramidSWD(a[:n*d], b[:n*d], 1, 28, 28, opts)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := eval.PyramidSWD(a[:n*d], blurred[:n*d], 1, 28, 28, opts)
		if err != nil {
			t.Fatal(err)
		}
		indep, blur = append(indep, mean(s1)), append(blur, mean(s2))
	}
	t.Logf("SWD with %v images a side: independent %.4f, blurred (σ = 1) %.4f", sizes, indep, blur)
	for i := 1; i < len(indep); i++ {
		// 4 times more images: the floor should halve; ask for a 1.5-fold drop.
		if !(indep[i] < indep[i-1]/1.5) {
			t.Errorf("independent-sample SWD %.4f does not fall with the sample size %v", indep, sizes)
		}
		if math.Abs(blur[i]-blur[i-1]) > 0.25*blur[i] {
			t.Errorf("SWD to blurred digits %.4f moves with the sample size %v", blur, sizes)
		}
	}
	if !(indep[2] < 0.2*blur[2]) {
		t.Errorf("with %d images a side, independent-sample SWD %.4f is not small next to the blurred one %.4f", sizes[2], indep[2], blur[2])
	}
}
