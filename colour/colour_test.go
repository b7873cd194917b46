package colour

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"otgen/ot"
)

// testImage draws a w×h image whose colours are a mixture of blobs around
// the given palette (0..255 RGB triples), in horizontal bands so that the
// image has structure, plus noise of the given spread.
func testImage(seed uint64, w, h int, pal [][3]float64, spread float64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 17))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		base := pal[y*len(pal)/h]
		for x := 0; x < w; x++ {
			var c [3]uint8
			for k := range 3 {
				v := base[k] + spread*rng.NormFloat64() + 20*float64(x)/float64(w)
				c[k] = uint8(max(0, min(255, math.Round(v))))
			}
			img.SetNRGBA(x, y, color.NRGBA{R: c[0], G: c[1], B: c[2], A: 255})
		}
	}
	return img
}

var (
	coolPalette = [][3]float64{{20, 40, 120}, {30, 120, 60}, {60, 160, 200}, {10, 20, 40}}
	warmPalette = [][3]float64{{230, 120, 30}, {250, 220, 80}, {160, 30, 20}, {240, 200, 170}}
)

func TestTransferKeepsSizeAndMovesPalette(t *testing.T) {
	src := testImage(1, 40, 30, coolPalette, 12)
	tgt := testImage(2, 30, 32, warmPalette, 12)
	before, err := PaletteDistance(src, tgt, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []Options{{M: 100}, {M: 100, Method: "sinkhorn", Eps: 0.01}} {
		res, err := Transfer(src, tgt, method)
		if err != nil {
			t.Fatal(err)
		}
		if res.Image.Bounds() != image.Rect(0, 0, 40, 30) {
			t.Fatalf("%s: output bounds %v, want the source's 40x30", method.Method, res.Image.Bounds())
		}
		if res.K != 12 || res.Covered != 1200 || res.Extended != 0 {
			t.Errorf("%s: K %d, covered %d, extended %d; want 12, 1200, 0", method.Method, res.K, res.Covered, res.Extended)
		}
		after, err := PaletteDistance(res.Image, tgt, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: palette SW2 to target %.4f before, %.4f after; minibatch cost %.4f", method.Method, before, after, res.Cost)
		if after > 0.2*before {
			t.Errorf("%s: palette distance to the target %.4f, want below a fifth of %.4f", method.Method, after, before)
		}
	}
}

// With one pair of minibatches holding every pixel (m = n), the transfer is
// exact optimal transport: every pixel takes the colour of its partner in
// the optimal assignment between the two pixel sets.
func TestTransferFullBatchIsExactOT(t *testing.T) {
	src := testImage(3, 12, 10, coolPalette, 40)
	tgt := testImage(4, 10, 12, warmPalette, 40)
	res, err := Transfer(src, tgt, Options{M: 120, K: 1})
	if err != nil {
		t.Fatal(err)
	}
	X, _ := Pixels(src)
	Y, _ := Pixels(tgt)
	C, err := ot.Cost(X, Y, 2)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := ot.EMD(nil, nil, C, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.Cost-ex.Cost) > 1e-12 {
		t.Errorf("minibatch cost %v, exact OT cost %v", res.Cost, ex.Cost)
	}
	T, err := ot.BarycentricMap(ex.Plan, Y)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Image(T, nil, 12, 10)
	if err != nil {
		t.Fatal(err)
	}
	moved := 0
	for i := 0; i < len(want.Pix); i += 4 {
		if want.Pix[i] != res.Image.Pix[i] || want.Pix[i+1] != res.Image.Pix[i+1] || want.Pix[i+2] != res.Image.Pix[i+2] {
			t.Fatalf("pixel %d: %v, exact OT gives %v", i/4, res.Image.Pix[i:i+3], want.Pix[i:i+3])
		}
		if want.Pix[i] != src.Pix[i] {
			moved++
		}
	}
	if moved < 100 {
		t.Errorf("only %d of 120 pixels changed colour", moved)
	}
}

// Every pixel gets a colour when K leaves most pixels undrawn, and the
// extension is the one documented.
func TestTransferFewPairsColoursEveryPixel(t *testing.T) {
	src := testImage(5, 40, 30, coolPalette, 6)
	tgt := testImage(6, 30, 32, warmPalette, 12)
	res, err := Transfer(src, tgt, Options{M: 50, K: 3, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Covered != 150 || res.Extended != 1050 {
		t.Fatalf("covered %d, extended %d; want 150 and 1050", res.Covered, res.Extended)
	}
	full, err := Transfer(src, tgt, Options{M: 50, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	d3, _ := PaletteDistance(res.Image, tgt, 0, 1)
	dAll, _ := PaletteDistance(full.Image, tgt, 0, 1)
	before, _ := PaletteDistance(src, tgt, 0, 1)
	t.Logf("palette SW2 to target: source %.4f, 3 pairs + extension %.4f, 24 pairs %.4f", before, d3, dAll)
	if d3 > 0.5*before {
		t.Errorf("with the extension the palette distance %.4f is not well below the source's %.4f", d3, before)
	}
}

// extend against a brute-force search, on colours with many repeats (as
// 8-bit pixels have) and many ties, with a large palette (grid search) and
// a small one (scan).
func TestExtendMatchesBruteForce(t *testing.T) {
	for _, covered := range []int{4, 200} {
		t.Run(fmt.Sprintf("1 in %d covered", covered), func(t *testing.T) {
			testExtend(t, covered)
		})
	}
}

func testExtend(t *testing.T, oneIn int) {
	rng := rand.New(rand.NewPCG(7, uint64(oneIn)))
	const n = 3000
	X := mat.NewDense(n, 3, nil)
	T := mat.NewDense(n, 3, nil)
	mass := make([]float64, n)
	for i := 0; i < n; i++ {
		for c := range 3 {
			// 12 levels per channel: many repeated colours and ties.
			X.Set(i, c, float64(rng.IntN(12))/11)
			T.Set(i, c, rng.Float64())
		}
		if rng.IntN(oneIn) == 0 {
			mass[i] = 1
		}
	}
	// Far-away outliers make the grid search go many shells out.
	X.SetRow(0, []float64{0, 0, 0})
	X.SetRow(1, []float64{1, 1, 1})
	mass[0], mass[1] = 0, 0
	want := mat.DenseCopyOf(T)
	bruteExtend(X, want, mass)
	if pal := newPalette(X, T, coveredRows(mass)); (oneIn == 4) != (len(pal.colour) > scanMax) {
		t.Fatalf("palette of %d colours does not exercise the intended search", len(pal.colour))
	}
	for _, workers := range []int{1, 3} {
		got := mat.DenseCopyOf(T)
		if k := extend(X, got, mass, workers); k != countZero(mass) {
			t.Fatalf("extended %d rows, want %d", k, countZero(mass))
		}
		if !mat.Equal(got, want) {
			t.Fatalf("workers %d: extension differs from brute force", workers)
		}
		for i := 0; i < n; i++ {
			if mass[i] > 0 && !mat.Equal(got.RowView(i), T.RowView(i)) {
				t.Fatalf("covered row %d changed", i)
			}
		}
	}
}

func coveredRows(mass []float64) []int {
	var rows []int
	for i, w := range mass {
		if w > 0 {
			rows = append(rows, i)
		}
	}
	return rows
}

func countZero(v []float64) int {
	c := 0
	for _, x := range v {
		if x == 0 {
			c++
		}
	}
	return c
}

// bruteExtend is extend by exhaustive search.
func bruteExtend(X, T *mat.Dense, mass []float64) {
	n, _ := X.Dims()
	type group struct {
		c    [3]float64
		sum  [3]float64
		size float64
	}
	groups := map[[3]float64]*group{}
	var keys [][3]float64
	for i := 0; i < n; i++ {
		if mass[i] == 0 {
			continue
		}
		x := [3]float64{X.At(i, 0), X.At(i, 1), X.At(i, 2)}
		g := groups[x]
		if g == nil {
			g = &group{c: x}
			groups[x] = g
			keys = append(keys, x)
		}
		for c := range 3 {
			g.sum[c] += T.At(i, c) - x[c]
		}
		g.size++
	}
	for i := 0; i < n; i++ {
		if mass[i] > 0 {
			continue
		}
		x := [3]float64{X.At(i, 0), X.At(i, 1), X.At(i, 2)}
		var best [3]float64
		bestD := math.Inf(1)
		for _, k := range keys {
			d := sq(k[0]-x[0]) + sq(k[1]-x[1]) + sq(k[2]-x[2])
			if d < bestD || (d == bestD && cmpColour(k, best) < 0) {
				best, bestD = k, d
			}
		}
		g := groups[best]
		for c := range 3 {
			T.Set(i, c, x[c]+g.sum[c]/g.size)
		}
	}
}

func TestTransferDeterministic(t *testing.T) {
	src := testImage(8, 30, 20, coolPalette, 10)
	tgt := testImage(9, 25, 20, warmPalette, 10)
	a, err := Transfer(src, tgt, Options{M: 40, K: 10, Seed: 3, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Transfer(src, tgt, Options{M: 40, K: 10, Seed: 3, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Transfer(src, tgt, Options{M: 40, K: 10, Seed: 4, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if string(a.Image.Pix) != string(b.Image.Pix) {
		t.Error("1 and 2 workers give different images")
	}
	if string(a.Image.Pix) == string(c.Image.Pix) {
		t.Error("seeds 3 and 4 give the same image")
	}
}

func TestTransferProgress(t *testing.T) {
	src := testImage(10, 20, 10, coolPalette, 10)
	tgt := testImage(11, 20, 10, warmPalette, 10)
	last := 0
	_, err := Transfer(src, tgt, Options{M: 20, Draws: 3, Progress: func(done, total int) {
		if total != 30 || done != last+1 {
			t.Errorf("progress(%d, %d) after %d", done, total, last)
		}
		last = done
	}})
	if err != nil || last != 30 {
		t.Fatalf("last progress %d, want 30 (%v)", last, err)
	}
}

func TestTransferBadInput(t *testing.T) {
	src := testImage(12, 10, 10, coolPalette, 10)
	tgt := testImage(13, 8, 10, warmPalette, 10)
	empty := image.NewNRGBA(image.Rect(0, 0, 0, 5))
	for name, c := range map[string]struct {
		src, tgt image.Image
		o        Options
	}{
		"nil source":       {nil, tgt, Options{M: 5}},
		"empty target":     {src, empty, Options{M: 5}},
		"m > source":       {src, tgt, Options{M: 101}},
		"m > target":       {src, tgt, Options{M: 81}},
		"default m > set":  {src, tgt, Options{}},
		"negative k":       {src, tgt, Options{M: 5, K: -1}},
		"negative draws":   {src, tgt, Options{M: 5, Draws: -1}},
		"negative workers": {src, tgt, Options{M: 5, Workers: -1}},
		"method":           {src, tgt, Options{M: 5, Method: "emd2"}},
		"no eps":           {src, tgt, Options{M: 5, Method: "sinkhorn"}},
		"nan eps":          {src, tgt, Options{M: 5, Method: "sinkhorn", Eps: math.NaN()}},
	} {
		if _, err := Transfer(c.src, c.tgt, c.o); !errors.Is(err, ErrInput) {
			t.Errorf("%s: error %v, want ErrInput", name, err)
		}
	}
	if _, err := PaletteDistance(src, empty, 0, 1); !errors.Is(err, ErrInput) {
		t.Errorf("palette distance of an empty image: %v", err)
	}
	if _, err := Image(mat.NewDense(4, 3, nil), nil, 3, 2); !errors.Is(err, ErrInput) {
		t.Errorf("Image with the wrong size: %v", err)
	}
}

// Pixels and Image are inverse, including alpha and sub-images whose bounds
// do not start at (0, 0).
func TestPixelsImageRoundTrip(t *testing.T) {
	img := testImage(14, 16, 12, coolPalette, 30)
	img.SetNRGBA(3, 4, color.NRGBA{R: 10, G: 200, B: 30, A: 77})
	sub := img.SubImage(image.Rect(2, 3, 14, 11))
	X, alpha := Pixels(sub)
	if r, c := X.Dims(); r != 12*8 || c != 3 {
		t.Fatalf("Pixels of a 12x8 image: %dx%d", r, c)
	}
	back, err := Image(X, alpha, 12, 8)
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 8; y++ {
		for x := 0; x < 12; x++ {
			if got, want := back.NRGBAAt(x, y), img.NRGBAAt(x+2, y+3); got != want {
				t.Fatalf("pixel (%d,%d): %v, want %v", x, y, got, want)
			}
		}
	}
}
