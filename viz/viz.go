// Package viz draws the figures of otgen as PNG files: sample grids of
// images, 2-D scatter plots, loss curves, transport-plan heat maps, and
// side-by-side panels that combine any of them.
//
// Images are float32 slices in NCHW layout (n images of c channels, each h
// rows of w pixels), as produced by the models. Plots are drawn with
// gonum.org/v1/plot at 96 dots per inch, so a size given in pixels is the
// size of the PNG.
//
// Invalid input is reported as an error wrapping ErrInput; no function
// panics on user input. Files are written atomically by SavePNG: a temporary
// file in the destination directory is renamed over the final name, so a
// reader never sees a half-written PNG.
package viz

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot/vg"
)

// ErrInput is wrapped by every error caused by invalid input (wrong sizes,
// empty input, bad options).
var ErrInput = errors.New("viz: invalid input")

// inputErrorf returns an error wrapping ErrInput.
func inputErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, args...))
}

// Range is a closed interval [Min, Max] of data values. The zero Range means
// "fit the data"; any other Range must have finite Min < Max.
type Range struct {
	Min, Max float64
}

// IsZero reports whether r is the zero Range, that is, whether the range is
// left to be fitted to the data.
func (r Range) IsZero() bool { return r.Min == 0 && r.Max == 0 }

// check reports an error unless r is zero or a finite interval with Min < Max.
func (r Range) check(name string) error {
	if r.IsZero() {
		return nil
	}
	if !finite(r.Min) || !finite(r.Max) || !(r.Min < r.Max) {
		return inputErrorf("%s range [%v, %v] must be finite with min < max", name, r.Min, r.Max)
	}
	return nil
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// dpi is the resolution of every plot, so that 1 pixel is 72/96 points.
const dpi = 96

// maxSide bounds the width and height of a figure in pixels, so that a
// mistyped size is an error rather than a huge allocation.
const maxSide = 20000

// pixelsToLength converts a size in pixels to a vg.Length at dpi.
func pixelsToLength(px int) vg.Length { return vg.Length(px) * vg.Inch / dpi }

// figureSize returns (w, h) with zeros replaced by the defaults, or an error
// naming the figure if either is negative or too large.
func figureSize(figure string, w, h, defW, defH int) (int, int, error) {
	if w == 0 {
		w = defW
	}
	if h == 0 {
		h = defH
	}
	if w < 0 || h < 0 || w > maxSide || h > maxSide {
		return 0, 0, inputErrorf("%s: figure size %dx%d pixels must be positive and at most %d", figure, w, h, maxSide)
	}
	return w, h, nil
}

// nanColor is the colour of NaN values in grids and heat maps: magenta, which
// no grey-scale image and no default colormap contains.
func nanColor() color.RGBA { return color.RGBA{R: 255, G: 0, B: 255, A: 255} }

// seriesColor returns the i-th of ten distinct colours (the "category 10"
// hues), cycling after ten.
func seriesColor(i int) color.RGBA {
	hues := [...]color.RGBA{
		{R: 31, G: 119, B: 180, A: 255},  // blue
		{R: 255, G: 127, B: 14, A: 255},  // orange
		{R: 44, G: 160, B: 44, A: 255},   // green
		{R: 214, G: 39, B: 40, A: 255},   // red
		{R: 148, G: 103, B: 189, A: 255}, // purple
		{R: 140, G: 86, B: 75, A: 255},   // brown
		{R: 227, G: 119, B: 194, A: 255}, // pink
		{R: 127, G: 127, B: 127, A: 255}, // grey
		{R: 188, G: 189, B: 34, A: 255},  // olive
		{R: 23, G: 190, B: 207, A: 255},  // cyan
	}
	if i < 0 {
		i = -i
	}
	return hues[i%len(hues)]
}

// toRGBA returns img as an *image.RGBA with bounds starting at (0, 0),
// converting (copying) when it is not one already.
func toRGBA(img image.Image) *image.RGBA {
	if rgba, ok := img.(*image.RGBA); ok && rgba.Bounds().Min == (image.Point{}) {
		return rgba
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			dst.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}

// XY converts float32 coordinates (x0, y0, x1, y1, ...) to the float64
// layout of Series.XY.
func XY(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
