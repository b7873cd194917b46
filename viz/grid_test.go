package viz

import (
	"errors"
	"image"
	"image/color"
	"math"
	"testing"
)

var (
	grey    = color.RGBA{128, 128, 128, 255}
	black   = color.RGBA{0, 0, 0, 255}
	white   = color.RGBA{255, 255, 255, 255}
	magenta = color.RGBA{255, 0, 255, 255}
)

func rgbaAt(img *image.RGBA, x, y int) color.RGBA { return img.RGBAAt(x, y) }

// TestGridPositions puts one white pixel in image 2 of a 5-image grey batch
// and checks that it lands where the documented formula says, that every
// other image pixel is black, and that the borders and the empty cell are grey.
func TestGridPositions(t *testing.T) {
	const n, c, h, w, cols = 5, 1, 4, 3, 3
	imgs := make([]float32, n*c*h*w)
	// Image 2, row 1, column 2.
	imgs[2*h*w+1*w+2] = 1
	g, err := Grid(imgs, n, c, h, w, cols, Range{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	wantW, wantH := cols*(w+2)+2, 2*(h+2)+2
	if b := g.Bounds(); b != image.Rect(0, 0, wantW, wantH) {
		t.Fatalf("bounds %v, want %dx%d", b, wantW, wantH)
	}
	// Image 2 is column 2 of row 0: origin (2+2*(w+2), 2) = (12, 2).
	wx, wy := 12+2, 2+1
	if got := rgbaAt(g, wx, wy); got != white {
		t.Errorf("pixel (%d,%d) = %v, want white", wx, wy, got)
	}
	inside := func(x, y int) (int, bool) { // image index if (x,y) is an image pixel
		cx, cy := (x-2)/(w+2), (y-2)/(h+2)
		ox, oy := (x-2)%(w+2), (y-2)%(h+2)
		if x < 2 || y < 2 || ox >= w || oy >= h {
			return -1, false
		}
		return cy*cols + cx, true
	}
	for y := 0; y < wantH; y++ {
		for x := 0; x < wantW; x++ {
			got := rgbaAt(g, x, y)
			i, ok := inside(x, y)
			switch {
			case x == wx && y == wy:
			case ok && i < n:
				if got != black {
					t.Errorf("image %d pixel (%d,%d) = %v, want black", i, x, y, got)
				}
			default: // border or the empty sixth cell
				if got != grey {
					t.Errorf("border pixel (%d,%d) = %v, want grey", x, y, got)
				}
			}
		}
	}
}

// TestGridValues checks the mapping from a [-1, 1] range, clipping, infinities,
// RGB channel order and NaN.
func TestGridValues(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	// One 1x6 RGB image: channel planes R, G, B.
	r := []float32{-1, 1, 0, 5, -inf, nan}
	gg := []float32{-1, 1, 0, -5, inf, 0}
	b := []float32{-1, 1, 0, 0.5, 0, 0}
	imgs := append(append(append([]float32{}, r...), gg...), b...)
	g, err := Grid(imgs, 1, 3, 1, 6, 1, Range{-1, 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []color.RGBA{
		{0, 0, 0, 255},
		{255, 255, 255, 255},
		{128, 128, 128, 255}, // 127.5 rounds up
		{255, 0, 191, 255},   // clipped R and G, B = 1.5*127.5 = 191.25
		{0, 255, 128, 255},   // -Inf and +Inf clip
		magenta,              // NaN in one channel
	}
	for x, wc := range want {
		if got := rgbaAt(g, 2+x, 2); got != wc {
			t.Errorf("pixel %d = %v, want %v", x, got, wc)
		}
	}
}

// TestGridGrey checks that a grey image is replicated in R, G and B and that
// the zero Range fits the batch.
func TestGridGrey(t *testing.T) {
	imgs := []float32{10, 20, 30, float32(math.NaN())}
	g, err := Grid(imgs, 1, 1, 2, 2, 4, Range{})
	if err != nil {
		t.Fatal(err)
	}
	if b := g.Bounds(); b.Dx() != 6 || b.Dy() != 6 {
		t.Fatalf("bounds %v, want 6x6 (cols clamped to n)", b)
	}
	want := []color.RGBA{{0, 0, 0, 255}, {128, 128, 128, 255}, {255, 255, 255, 255}, magenta}
	for k, wc := range want {
		if got := rgbaAt(g, 2+k%2, 2+k/2); got != wc {
			t.Errorf("pixel %d = %v, want %v", k, got, wc)
		}
	}
	// A constant image maps to mid grey, not to a division by zero.
	g, err = Grid([]float32{3, 3}, 1, 1, 1, 2, 1, Range{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rgbaAt(g, 2, 2); got != grey {
		t.Errorf("constant image pixel = %v, want grey", got)
	}
}

func TestGridErrors(t *testing.T) {
	ok := make([]float32, 2*3*4*5)
	cases := []struct {
		name          string
		imgs          []float32
		n, c, h, w, k int
		r             Range
	}{
		{"short", ok[1:], 2, 3, 4, 5, 2, Range{0, 1}},
		{"long", append(ok, 0), 2, 3, 4, 5, 2, Range{0, 1}},
		{"two channels", ok, 2, 2, 4, 5, 2, Range{0, 1}},
		{"four channels", ok, 2, 4, 4, 5, 2, Range{0, 1}},
		{"zero n", nil, 0, 3, 4, 5, 2, Range{0, 1}},
		{"negative h", ok, 2, 3, -4, 5, 2, Range{0, 1}},
		{"zero w", ok, 2, 3, 4, 0, 2, Range{0, 1}},
		{"zero cols", ok, 2, 3, 4, 5, 0, Range{0, 1}},
		{"reversed range", ok, 2, 3, 4, 5, 2, Range{1, 0}},
		{"NaN range", ok, 2, 3, 4, 5, 2, Range{0, math.NaN()}},
		{"huge", ok, 1 << 40, 3, 1 << 40, 1 << 40, 2, Range{0, 1}},
	}
	for _, tc := range cases {
		_, err := Grid(tc.imgs, tc.n, tc.c, tc.h, tc.w, tc.k, tc.r)
		if !errors.Is(err, ErrInput) {
			t.Errorf("%s: err = %v, want ErrInput", tc.name, err)
		}
	}
}

func TestUpscale(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 2, 1))
	src.SetRGBA(0, 0, white)
	src.SetRGBA(1, 0, magenta)
	up := Upscale(src, 3)
	if b := up.Bounds(); b != image.Rect(0, 0, 6, 3) {
		t.Fatalf("bounds %v, want 6x3", b)
	}
	for y := 0; y < 3; y++ {
		for x := 0; x < 6; x++ {
			want := white
			if x >= 3 {
				want = magenta
			}
			if got := up.RGBAAt(x, y); got != want {
				t.Errorf("(%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
	// A sub-image with a non-zero origin, and factor < 1.
	sub := up.SubImage(image.Rect(3, 1, 5, 2))
	cp := Upscale(sub, 0)
	if b := cp.Bounds(); b != image.Rect(0, 0, 2, 1) || cp.RGBAAt(0, 0) != magenta {
		t.Errorf("Upscale(sub, 0): bounds %v, pixel %v", b, cp.RGBAAt(0, 0))
	}
}

func TestSidePanels(t *testing.T) {
	a := image.NewRGBA(image.Rect(0, 0, 3, 2))
	b := image.NewRGBA(image.Rect(10, 10, 14, 14)) // non-zero origin
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			a.SetRGBA(x, y, black)
		}
	}
	for y := 10; y < 14; y++ {
		for x := 10; x < 14; x++ {
			b.SetRGBA(x, y, magenta)
		}
	}
	p, err := SidePanels(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Bounds(), image.Rect(0, 0, 3+PanelGap+4, 4); got != want {
		t.Fatalf("bounds %v, want %v", got, want)
	}
	checks := []struct {
		x, y int
		want color.RGBA
	}{
		{0, 0, black}, {2, 1, black}, {0, 2, white}, // below the shorter panel
		{3, 0, white}, {3 + PanelGap - 1, 3, white}, // gap
		{3 + PanelGap, 0, magenta}, {3 + PanelGap + 3, 3, magenta},
	}
	for _, c := range checks {
		if got := p.RGBAAt(c.x, c.y); got != c.want {
			t.Errorf("(%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	for name, args := range map[string][]image.Image{
		"none":  nil,
		"nil":   {a, nil},
		"empty": {image.NewRGBA(image.Rectangle{})},
	} {
		if _, err := SidePanels(args...); !errors.Is(err, ErrInput) {
			t.Errorf("%s: err = %v, want ErrInput", name, err)
		}
	}
}
