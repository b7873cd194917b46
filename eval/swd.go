package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/floats"

	"otgen/ot"
)

// SWDOptions configure PyramidSWD. The zero value selects the settings of
// Karras et al. 2018 (7×7 patches, 128 per image and level, 4×128 random
// directions), with about 65,536 patches at most per level and side.
type SWDOptions struct {
	// PatchSize is the side of the square patches (default 7).
	PatchSize int
	// PatchesPerImage is the number of random patches taken from every
	// image at every level (default 128) ...
	PatchesPerImage int
	// ... unless that makes more than MaxPatches patches per level and
	// side (default 65,536): PatchesPerImage is then lowered to
	// ceil(MaxPatches/n) for n images, so the cost stays bounded for
	// thousands of images.
	MaxPatches int
	// Directions is the number of random projection directions (default
	// 512, the 4 repeats of 128 of Karras et al.).
	Directions int
	// MinSize is the smallest side of the coarsest pyramid level (default
	// 2·PatchSize, which for power-of-two images stops at 16×16 as
	// Karras et al. do: 64×64 images give the levels 64, 32 and 16, and
	// MNIST's 28×28 the levels 28 and 14).
	MinSize int
	// Seed seeds the patch positions and the directions.
	Seed uint64
}

func (o SWDOptions) withDefaults() (SWDOptions, error) {
	if o.PatchSize < 0 || o.PatchesPerImage < 0 || o.MaxPatches < 0 || o.Directions < 0 || o.MinSize < 0 {
		return o, fmt.Errorf("eval: swd options %+v: negative value", o)
	}
	if o.PatchSize == 0 {
		o.PatchSize = 7
	}
	if o.PatchesPerImage == 0 {
		o.PatchesPerImage = 128
	}
	if o.MaxPatches == 0 {
		o.MaxPatches = 1 << 16
	}
	if o.Directions == 0 {
		o.Directions = 512
	}
	if o.MinSize == 0 {
		o.MinSize = 2 * o.PatchSize
	}
	if o.MinSize < o.PatchSize {
		return o, fmt.Errorf("eval: swd: min size %d is smaller than the %d×%d patches", o.MinSize, o.PatchSize, o.PatchSize)
	}
	return o, nil
}

// PyramidSWD returns the sliced Wasserstein distance between the
// Laplacian-pyramid patches of two sets of images, level by level, finest
// first, as Karras et al. 2018 ("Progressive growing of GANs", §5 and
// appendix D) measure image quality at every scale. x holds n images and y
// m images, each c×h×w values row-major (channels first, as package data
// gives them); the values may have any range.
//
// Each image is decomposed into a Laplacian pyramid (Burt & Adelson 1983:
// the 5-tap binomial filter [1 4 6 4 1]/16 with mirrored borders, halving
// the size at each level, the last level being the low-pass residual) with
// levels down to opts.MinSize. From every level of every image,
// opts.PatchesPerImage patches of opts.PatchSize² pixels per channel are
// taken at random positions, the same positions for the i-th image of x
// and of y, so a set compared with itself gives exactly 0. Each set of
// patches is normalised per channel to zero mean and unit deviation (a
// constant channel is left at zero), and the distance of a level is the
// mean over opts.Directions random unit directions of the exact 1-D
// Wasserstein-1 distance between the projected patches (ot.Wasserstein1D;
// the two sets may differ in size). Karras et al. report these values
// times 10³ and their average over the levels.
//
// The projections are gonum BLAS products and the 1-D problems run in
// parallel on all cores; every random choice comes from opts.Seed, so the
// result depends only on the input and the options. Images smaller than
// opts.MinSize, non-finite values and an empty set are errors.
func PyramidSWD(x, y []float32, c, h, w int, opts SWDOptions) (perLevel []float64, err error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if c <= 0 || h <= 0 || w <= 0 {
		return nil, fmt.Errorf("eval: swd: image shape %d×%d×%d", c, h, w)
	}
	if min(h, w) < o.MinSize {
		return nil, fmt.Errorf("eval: swd: %d×%d images are smaller than the coarsest level (%d)", h, w, o.MinSize)
	}
	d := c * h * w
	n, err := rows("eval: swd: x", x, d, 1)
	if err != nil {
		return nil, err
	}
	m, err := rows("eval: swd: y", y, d, 1)
	if err != nil {
		return nil, err
	}
	levels := pyramidLevels(h, w, o.MinSize)
	per := min(o.PatchesPerImage, (o.MaxPatches+max(n, m)-1)/max(n, m))
	per = max(per, 1)
	pos := patchPositions(levels, max(n, m), per, o.PatchSize, o.Seed)
	dx := descriptors(x, n, c, levels, pos, per, o.PatchSize)
	dy := descriptors(y, m, c, levels, pos, per, o.PatchSize)
	perLevel = make([]float64, len(levels))
	for l := range levels {
		normalizePatches(dx[l], c)
		normalizePatches(dy[l], c)
		v, err := slicedW1(dx[l], dy[l], o.Directions, o.Seed^uint64(l+1)*0x9e3779b97f4a7c15)
		if err != nil {
			return nil, fmt.Errorf("eval: swd: level %d: %w", l, err)
		}
		perLevel[l] = v
	}
	return perLevel, nil
}

// level is the size of one pyramid level.
type level struct{ h, w int }

// pyramidLevels returns the sizes of the levels: h×w, then halved
// (rounding up) while the smaller side stays at least minSize.
func pyramidLevels(h, w, minSize int) []level {
	ls := []level{{h, w}}
	for {
		nh, nw := (h+1)/2, (w+1)/2
		if min(nh, nw) < minSize {
			return ls
		}
		h, w = nh, nw
		ls = append(ls, level{h, w})
	}
}

// patchPositions draws, for every level, the top-left corners (row,
// column) of per patches of side k for each of n images.
func patchPositions(levels []level, n, per, k int, seed uint64) [][]int32 {
	pos := make([][]int32, len(levels))
	for l, lv := range levels {
		rng := rand.New(rand.NewPCG(seed, uint64(l)))
		p := make([]int32, 2*n*per)
		for i := 0; i < len(p); i += 2 {
			p[i] = int32(rng.IntN(lv.h - k + 1))
			p[i+1] = int32(rng.IntN(lv.w - k + 1))
		}
		pos[l] = p
	}
	return pos
}

// descriptors builds the Laplacian pyramid of each of the n images of v
// (c×h×w each, h×w = levels[0]) and returns, for every level, the matrix
// of the n·per patches (one row of c·k·k values each, channel first), the
// images being processed in parallel.
func descriptors(v []float32, n, c int, levels []level, pos [][]int32, per, k int) []blas32.General {
	dim := c * k * k
	out := make([]blas32.General, len(levels))
	for l := range levels {
		out[l] = blas32.General{Rows: n * per, Cols: dim, Stride: dim, Data: make([]float32, n*per*dim)}
	}
	size := c * levels[0].h * levels[0].w
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for wk := 0; wk < workers; wk++ {
		wg.Add(1)
		go func(wk int) {
			defer wg.Done()
			var p pyramid
			for i := wk; i < n; i += workers {
				p.build(v[i*size:(i+1)*size], c, levels)
				for l, lv := range levels {
					plane := lv.h * lv.w
					for j := 0; j < per; j++ {
						y0, x0 := int(pos[l][2*(i*per+j)]), int(pos[l][2*(i*per+j)+1])
						row := out[l].Data[(i*per+j)*dim : (i*per+j+1)*dim]
						for ch := 0; ch < c; ch++ {
							src := p.levels[l][ch*plane:]
							for r := 0; r < k; r++ {
								for q, v := range src[(y0+r)*lv.w+x0 : (y0+r)*lv.w+x0+k] {
									row[(ch*k+r)*k+q] = float32(v)
								}
							}
						}
					}
				}
			}
		}(wk)
	}
	wg.Wait()
	return out
}

// normalizePatches standardises every channel of the patch matrix (its
// columns come in c consecutive groups) over all its patches and pixels.
func normalizePatches(a blas32.General, c int) {
	k2 := a.Cols / c
	for ch := 0; ch < c; ch++ {
		s, s2 := 0.0, 0.0
		for i := 0; i < a.Rows; i++ {
			for _, v := range a.Data[i*a.Stride+ch*k2 : i*a.Stride+(ch+1)*k2] {
				s += float64(v)
				s2 += float64(v) * float64(v)
			}
		}
		cnt := float64(a.Rows * k2)
		mean := s / cnt
		sd := math.Sqrt(math.Max(s2/cnt-mean*mean, 0))
		scale := 1.0
		if sd > 1e-6*(1+math.Abs(mean)) {
			scale = 1 / sd
		}
		for i := 0; i < a.Rows; i++ {
			row := a.Data[i*a.Stride+ch*k2 : i*a.Stride+(ch+1)*k2]
			for j, v := range row {
				row[j] = float32((float64(v) - mean) * scale)
			}
		}
	}
}

// slicedW1 returns the mean over nDir random unit directions (normalised
// Gaussian vectors drawn from seed) of the Wasserstein-1 distance between
// the projections of the rows of a and of b. The projections are float32
// BLAS products, by chunks of directions.
func slicedW1(a, b blas32.General, nDir int, seed uint64) (float64, error) {
	const chunk = 64
	dim := a.Cols
	rng := rand.New(rand.NewPCG(seed, 0x736c6963))
	total := 0.0
	vals := make([]float64, chunk)
	errs := make([]error, chunk)
	theta := blas32.General{Rows: chunk, Cols: dim, Stride: dim, Data: make([]float32, chunk*dim)}
	// Row i of pa (pb) holds the projections of every row of a (b) on
	// direction i.
	pa := blas32.General{Rows: chunk, Cols: a.Rows, Stride: a.Rows, Data: make([]float32, chunk*a.Rows)}
	pb := blas32.General{Rows: chunk, Cols: b.Rows, Stride: b.Rows, Data: make([]float32, chunk*b.Rows)}
	dir := make([]float64, dim)
	workers := min(runtime.GOMAXPROCS(0), chunk)
	for d0 := 0; d0 < nDir; d0 += chunk {
		k := min(chunk, nDir-d0)
		for i := 0; i < k; i++ {
			randomUnit(rng, dir)
			for j, v := range dir {
				theta.Data[i*dim+j] = float32(v)
			}
		}
		th := theta
		th.Rows = k
		ta, tb := pa, pb
		ta.Rows, tb.Rows = k, k
		blas32.Gemm(blas.NoTrans, blas.Trans, 1, th, a, 0, ta)
		blas32.Gemm(blas.NoTrans, blas.Trans, 1, th, b, 0, tb)
		var wg sync.WaitGroup
		for wk := 0; wk < min(workers, k); wk++ {
			wg.Add(1)
			go func(wk int) {
				defer wg.Done()
				x, y := make([]float64, a.Rows), make([]float64, b.Rows)
				for i := wk; i < k; i += workers {
					for j, v := range pa.Data[i*a.Rows : (i+1)*a.Rows] {
						x[j] = float64(v)
					}
					for j, v := range pb.Data[i*b.Rows : (i+1)*b.Rows] {
						y[j] = float64(v)
					}
					vals[i], errs[i] = ot.Wasserstein1D(x, y, nil, nil, 1)
				}
			}(wk)
		}
		wg.Wait()
		for i := 0; i < k; i++ {
			if errs[i] != nil {
				return 0, errs[i]
			}
			total += vals[i]
		}
	}
	return total / float64(nDir), nil
}

// randomUnit fills dir with a uniform random unit vector (a normalised
// Gaussian vector).
func randomUnit(rng *rand.Rand, dir []float64) {
	for {
		for j := range dir {
			dir[j] = rng.NormFloat64()
		}
		if nrm := floats.Norm(dir, 2); nrm > 0 {
			floats.Scale(1/nrm, dir)
			return
		}
	}
}

// pyramid holds the Laplacian pyramid of one image and scratch buffers.
type pyramid struct {
	levels       [][]float64 // per level, c planes of the level's size
	tmp, up, row []float64
}

// build computes the Laplacian pyramid of the c×h×w image v: the Gaussian
// pyramid G₀ = v, Gₗ₊₁ = down(Gₗ), then Lₗ = Gₗ − up(Gₗ₊₁) for every level
// but the last, which keeps Gₗ.
func (p *pyramid) build(v []float32, c int, levels []level) {
	if len(p.levels) != len(levels) {
		p.levels = make([][]float64, len(levels))
	}
	for l, lv := range levels {
		p.levels[l] = grow(p.levels[l], c*lv.h*lv.w)
	}
	for i, x := range v {
		p.levels[0][i] = float64(x)
	}
	for l := 1; l < len(levels); l++ {
		fine, coarse := levels[l-1], levels[l]
		for ch := 0; ch < c; ch++ {
			src := p.levels[l-1][ch*fine.h*fine.w : (ch+1)*fine.h*fine.w]
			dst := p.levels[l][ch*coarse.h*coarse.w : (ch+1)*coarse.h*coarse.w]
			p.tmp = grow(p.tmp, fine.h*fine.w)
			p.row = grow(p.row, fine.h*fine.w)
			blur5(p.tmp, src, p.row, fine.h, fine.w, 1)
			for y := 0; y < coarse.h; y++ {
				for x := 0; x < coarse.w; x++ {
					dst[y*coarse.w+x] = p.tmp[2*y*fine.w+2*x]
				}
			}
		}
	}
	for l := 0; l+1 < len(levels); l++ {
		fine, coarse := levels[l], levels[l+1]
		for ch := 0; ch < c; ch++ {
			dst := p.levels[l][ch*fine.h*fine.w : (ch+1)*fine.h*fine.w]
			src := p.levels[l+1][ch*coarse.h*coarse.w : (ch+1)*coarse.h*coarse.w]
			// up: zeros between the samples, then the binomial filter
			// times 4 (each output pixel gets a quarter of the taps).
			p.up = grow(p.up, fine.h*fine.w)
			clear(p.up)
			for y := 0; y < coarse.h; y++ {
				for x := 0; x < coarse.w; x++ {
					p.up[2*y*fine.w+2*x] = src[y*coarse.w+x]
				}
			}
			p.tmp = grow(p.tmp, fine.h*fine.w)
			p.row = grow(p.row, fine.h*fine.w)
			blur5(p.tmp, p.up, p.row, fine.h, fine.w, 4)
			for i := range dst {
				dst[i] -= p.tmp[i]
			}
		}
	}
}

// binomial5 is the 5-tap binomial filter of the Laplacian pyramid.
var binomial5 = [5]float64{1. / 16, 4. / 16, 6. / 16, 4. / 16, 1. / 16}

// blur5 writes into dst the h×w plane src filtered by gain times the
// separable 5×5 binomial filter, with mirrored borders (… c b | a b c … as
// scipy.ndimage's mode "mirror", which Karras et al. use); tmp is scratch
// of h·w values.
func blur5(dst, src, tmp []float64, h, w int, gain float64) {
	f0, f1, f2 := binomial5[0], binomial5[1], binomial5[2]
	for y := 0; y < h; y++ {
		row, out := src[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		for x := range out {
			if x >= 2 && x+2 < w {
				out[x] = f0*(row[x-2]+row[x+2]) + f1*(row[x-1]+row[x+1]) + f2*row[x]
				continue
			}
			s := 0.0
			for t, f := range binomial5 {
				s += f * row[mirror(x+t-2, w)]
			}
			out[x] = s
		}
	}
	for y := 0; y < h; y++ {
		out := dst[y*w : (y+1)*w]
		if y >= 2 && y+2 < h {
			r0, r1, r2 := tmp[(y-2)*w:(y-1)*w], tmp[(y-1)*w:y*w], tmp[y*w:(y+1)*w]
			r3, r4 := tmp[(y+1)*w:(y+2)*w], tmp[(y+2)*w:(y+3)*w]
			for x := range out {
				out[x] = gain * (f0*(r0[x]+r4[x]) + f1*(r1[x]+r3[x]) + f2*r2[x])
			}
			continue
		}
		for x := range out {
			s := 0.0
			for t, f := range binomial5 {
				s += f * tmp[mirror(y+t-2, h)*w+x]
			}
			out[x] = gain * s
		}
	}
}

// mirror reflects index i into [0, n) without repeating the edge.
func mirror(i, n int) int {
	if n == 1 {
		return 0
	}
	for i < 0 || i >= n {
		if i < 0 {
			i = -i
		}
		if i >= n {
			i = 2*(n-1) - i
		}
	}
	return i
}

// grow returns s resized to n, reallocating only when its capacity is too
// small.
func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
