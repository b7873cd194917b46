// Package colour transfers the palette of one image onto another with the
// minibatch optimal transport of Fatras, Zine, Flamary, Gribonval, Courty,
// "Learning with minibatch Wasserstein" (AISTATS 2020, section 5): the
// pixels of both images are point clouds in the RGB cube [0,1]³, K pairs of
// minibatches of M pixels are solved exactly (or with entropic
// regularisation), and every source pixel takes the colour of the
// barycentric map of the averaged minibatch plan (eq. 6),
//
//	T(x_i) = sum_j Π̄_ij y_j / sum_j Π̄_ij.
//
// The plan is never stored: ot.MinibatchBarycentricMap folds each pair into
// per-pixel sums, so memory is O(n + m) pixels whatever K, and the pairs run
// on all cores. A small M mixes colours from far-apart pixels and averages
// them, so the result loses colour diversity; M = n is exact optimal
// transport.
package colour

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
	"math/rand/v2"
	"runtime"

	"gonum.org/v1/gonum/mat"

	"otgen/dist"
	"otgen/ot"
)

// ErrInput is wrapped by every error caused by invalid input.
var ErrInput = errors.New("colour: invalid input")

func inputErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, args...))
}

// DefaultM is the minibatch size when Options.M is 0, the size of the
// paper's and of POT's colour-transfer examples.
const DefaultM = 1000

// Options configures Transfer. The zero value is valid: minibatches of
// DefaultM pixels, every source pixel drawn once, exact OT, seed 0, all
// cores.
type Options struct {
	// M is the minibatch size; 0 means DefaultM. It must not exceed the
	// number of pixels of either image.
	M int
	// K is the number of minibatch pairs. 0 means ceil(Draws·n/M) for n
	// source pixels: source minibatches are consecutive chunks of random
	// permutations of the pixels, so each pixel is drawn Draws times (when
	// M divides n; otherwise the n mod M pixels left over by each
	// permutation may be missed). A K so small that some pixels are never
	// drawn is allowed: those pixels are coloured by the out-of-sample
	// extension described at Transfer.
	K int
	// Draws is how many times each source pixel is drawn when K is 0;
	// 0 means 1. More draws average more minibatch plans: smoother
	// colours, and, at small M, a stronger loss of colour diversity.
	Draws int
	// Method is the solver of each pair: ot.MethodExact (the default,
	// also for "" and ot.MethodAuto) or ot.MethodSinkhorn, entropic OT
	// with regularisation Eps.
	Method ot.Method
	// Eps is the entropic regularisation of "sinkhorn", in squared RGB
	// distance units (colours in [0,1]³), e.g. 0.01.
	Eps float64
	// Seed determines the minibatches.
	Seed uint64
	// Workers is the number of goroutines; 0 means runtime.NumCPU(). The
	// result does not depend on it.
	Workers int
	// Progress, if not nil, is called with the number of pairs solved so
	// far and K, from the goroutine that called Transfer; on one rank of
	// several (Comm), with that rank's pairs solved so far and their
	// number.
	Progress func(done, total int)
	// Comm, when it has several ranks, spreads the K pairs over the ranks
	// of a job (contiguous shares, dist.Split): each rank draws and solves
	// only its own pairs, from the same Seed, so the pairs are those of
	// one process, and one allreduce adds the ranks' per-pixel sums of the
	// barycentric map (numerator and mass) and costs. Every rank calls
	// Transfer with the same images and options and gets the same result,
	// which equals that of one process up to the order of the float sums.
	// nil means one process.
	Comm *dist.Comm
}

// Result is a recoloured image and what it took.
type Result struct {
	// Image is the source recoloured, of the source's size, with bounds
	// starting at (0, 0) and the source's alpha.
	Image *image.NRGBA
	// M and K are the minibatch size and the number of pairs used.
	M, K int
	// Covered is the number of source pixels drawn in some minibatch;
	// Extended the number coloured by the out-of-sample extension
	// (Covered + Extended = number of pixels).
	Covered, Extended int
	// Cost is the mean minibatch OT cost, the incomplete estimator of
	// eq. (4): a mean squared RGB distance for colours in [0,1]³.
	Cost float64
}

// Transfer recolours src with the palette of tgt, as the package comment
// says, and returns the recoloured image. The images may differ in size.
//
// Source pixels that no minibatch draws (only when K is set below
// ceil(n/M), or for the few pixels that M leaves over in each permutation)
// get the out-of-sample extension of the map by its nearest covered
// colour: T(x) = x + (T(c) - c), where c is the colour among the drawn
// source pixels nearest to x in RGB (ties to the first in lexicographic
// RGB order) and T(c) - c the mean displacement of the drawn pixels of colour
// exactly c. A pixel whose own colour was drawn elsewhere thus moves like
// its drawn twins.
//
// Bad input (a nil or empty image, M larger than either image's pixel
// count, negative K, Draws or Workers, an unknown Method, Eps <= 0 with
// "sinkhorn") is an error wrapping ErrInput.
func Transfer(src, tgt image.Image, o Options) (*Result, error) {
	if src == nil || src.Bounds().Empty() {
		return nil, inputErrorf("source image is empty")
	}
	if tgt == nil || tgt.Bounds().Empty() {
		return nil, inputErrorf("target image is empty")
	}
	X, alpha := Pixels(src)
	Y, _ := Pixels(tgt)
	n, _ := X.Dims()
	m, _ := Y.Dims()
	if o.M == 0 {
		o.M = DefaultM
	}
	if o.M < 1 || o.M > n || o.M > m {
		return nil, inputErrorf("minibatch size m = %d, want 1 <= m <= %d (source pixels) and <= %d (target pixels)", o.M, n, m)
	}
	if o.K < 0 || o.Draws < 0 {
		return nil, inputErrorf("k = %d and draws = %d must not be negative", o.K, o.Draws)
	}
	if o.Workers < 0 {
		return nil, inputErrorf("workers = %d must not be negative (0: all cores)", o.Workers)
	}
	if o.Draws == 0 {
		o.Draws = 1
	}
	if o.K == 0 {
		o.K = (o.Draws*n + o.M - 1) / o.M
	}
	mo := ot.MinibatchOptions{M: o.M, K: o.K, Seed: o.Seed, Workers: o.Workers, Sampling: "epoch-x"}
	switch o.Method {
	case "", ot.MethodAuto, ot.MethodExact:
		mo.Solver = ot.MethodExact
	case ot.MethodSinkhorn:
		if !(o.Eps > 0) || math.IsInf(o.Eps, 0) {
			return nil, inputErrorf("method sinkhorn needs a finite eps > 0, got %v", o.Eps)
		}
		mo.Solver, mo.Eps = ot.MethodSinkhorn, o.Eps
	default:
		return nil, inputErrorf("unknown method %q (want exact or sinkhorn)", o.Method)
	}
	res, err := minibatchMap(X, Y, mo, o.Comm, o.Progress)
	if err != nil {
		return nil, fmt.Errorf("colour transfer: %w", err)
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	ext := extend(X, res.Map, res.Mass, workers)
	b := src.Bounds()
	img, err := Image(res.Map, alpha, b.Dx(), b.Dy())
	if err != nil { // cannot happen: the sizes come from src
		return nil, err
	}
	return &Result{
		Image:    img,
		M:        o.M,
		K:        o.K,
		Covered:  res.Covered,
		Extended: ext,
		Cost:     res.Value,
	}, nil
}

// minibatchMap is ot.MinibatchBarycentricMap with the pairs spread over
// the ranks of comm (see Options.Comm).
func minibatchMap(X, Y *mat.Dense, mo ot.MinibatchOptions, comm *dist.Comm, report func(done, total int)) (*ot.MinibatchMapResult, error) {
	if comm == nil || comm.Size() == 1 {
		var progress func(int)
		if report != nil {
			progress = func(done int) { report(done, mo.K) }
		}
		return ot.MinibatchBarycentricMap(X, Y, &mo, progress)
	}
	lo, hi := comm.Share(mo.K)
	var progress func(int)
	if report != nil {
		progress = func(done int) { report(done, hi-lo) }
	}
	var sums *ot.MinibatchSums
	var err error
	if lo < hi {
		mo.From, mo.To = lo, hi
		sums, err = ot.MinibatchMapSums(X, Y, &mo, progress)
	} else {
		// More ranks than pairs: this rank adds nothing.
		n, d := X.Dims()
		sums = &ot.MinibatchSums{Num: mat.NewDense(n, d, nil), Mass: make([]float64, n), K: mo.K}
	}
	// Every rank joins the same collectives whether its pairs failed or
	// not: the check first, then the sums.
	if cerr := comm.Check(err); cerr != nil {
		return nil, cerr
	}
	raw := sums.Raw()
	if err := comm.AllreduceFloat64(raw, dist.Sum); err != nil {
		return nil, fmt.Errorf("add the ranks' sums: %w", err)
	}
	sums.SetRaw(raw)
	return sums.Map(), nil
}

// Pixels returns the colours of img as an n×3 matrix of R, G, B in [0,1]
// (n = width·height, pixels row by row from the top left; colour values are
// not premultiplied by alpha) and the alpha of each pixel (0..255).
func Pixels(img image.Image) (*mat.Dense, []uint8) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	nrgba, ok := img.(*image.NRGBA)
	if !ok || nrgba.Rect.Min != (image.Point{}) {
		nrgba = image.NewNRGBA(image.Rect(0, 0, w, h))
		draw.Draw(nrgba, nrgba.Rect, img, b.Min, draw.Src)
	}
	X := mat.NewDense(w*h, 3, nil)
	x := X.RawMatrix().Data
	alpha := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		row := nrgba.Pix[y*nrgba.Stride : y*nrgba.Stride+4*w]
		for i := 0; i < w; i++ {
			k := y*w + i
			x[3*k] = float64(row[4*i]) / 255
			x[3*k+1] = float64(row[4*i+1]) / 255
			x[3*k+2] = float64(row[4*i+2]) / 255
			alpha[k] = row[4*i+3]
		}
	}
	return X, alpha
}

// Image turns an n×3 matrix of colours in [0,1] (as from Pixels; values
// outside are clipped) into a w×h image, row by row; alpha gives each
// pixel's opacity, nil meaning opaque. Sizes that do not match (n != w·h,
// alpha neither nil nor of length n, P not n×3) are an error wrapping
// ErrInput.
func Image(P *mat.Dense, alpha []uint8, w, h int) (*image.NRGBA, error) {
	if P == nil || P.IsEmpty() {
		return nil, inputErrorf("image: no colours")
	}
	n, c := P.Dims()
	if c != 3 || w <= 0 || h <= 0 || n != w*h || (alpha != nil && len(alpha) != n) {
		return nil, inputErrorf("image: %dx%d colours and %d alphas for %dx%d pixels", n, c, len(alpha), w, h)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for k := 0; k < n; k++ {
		row := P.RawRowView(k)
		px := img.Pix[4*k : 4*k+4 : 4*k+4]
		px[0], px[1], px[2] = level(row[0]), level(row[1]), level(row[2])
		px[3] = 255
		if alpha != nil {
			px[3] = alpha[k]
		}
	}
	return img, nil
}

// level maps [0,1] to 0..255, rounding and clipping (NaN to 0).
func level(v float64) uint8 {
	f := math.Round(v * 255)
	switch {
	case f >= 255:
		return 255
	case f > 0:
		return uint8(f)
	default:
		return 0
	}
}

// PaletteDistance returns the sliced Wasserstein distance SW_2
// (ot.SlicedWasserstein, 64 directions) between the colour distributions
// of two images, in RGB units of [0,1]³, estimated on at most maxPixels
// pixels of each, drawn uniformly without replacement with the given seed
// (maxPixels <= 0 uses every pixel). It measures how far one palette is
// from the other: 0 for two images with the same colour histogram.
func PaletteDistance(a, b image.Image, maxPixels int, seed uint64) (float64, error) {
	if a == nil || a.Bounds().Empty() || b == nil || b.Bounds().Empty() {
		return 0, inputErrorf("palette distance: empty image")
	}
	X, _ := Pixels(a)
	Y, _ := Pixels(b)
	X, Y = subsample(X, maxPixels, seed), subsample(Y, maxPixels, seed+1)
	d, err := ot.SlicedWasserstein(X, Y, nil, nil, 64, 2, seed)
	if err != nil {
		return 0, fmt.Errorf("palette distance: %w", err)
	}
	return d, nil
}

// subsample returns max rows of X drawn uniformly without replacement, in
// their original order, or X itself if it has at most max rows or max <= 0.
func subsample(X *mat.Dense, max int, seed uint64) *mat.Dense {
	n, d := X.Dims()
	if max <= 0 || n <= max {
		return X
	}
	keep := make([]bool, n)
	rng := rand.New(rand.NewPCG(seed, 0x5ca1ab1e))
	for _, i := range rng.Perm(n)[:max] {
		keep[i] = true
	}
	S := mat.NewDense(max, d, nil)
	r := 0
	for i, k := range keep {
		if k {
			copy(S.RawRowView(r), X.RawRowView(i))
			r++
		}
	}
	return S
}
