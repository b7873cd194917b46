package viz

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// GridBorder is the width in pixels of the border drawn around and between
// the images of a Grid.
const GridBorder = 2

// borderColor is the colour of the border of a Grid and of its empty cells:
// a mid grey (128, 128, 128), visible against black and white backgrounds.
func borderColor() color.RGBA { return color.RGBA{R: 128, G: 128, B: 128, A: 255} }

// PanelGap is the width in pixels of the white gap between the panels of
// SidePanels.
const PanelGap = 8

// Grid tiles a batch of images into one picture, row by row, cols images a
// row, with a GridBorder-pixel border of BorderColor around and between them.
//
// images holds n images in NCHW layout: c channels (1 for grey, 3 for RGB) of
// h rows of w pixels each, so len(images) must be n*c*h*w. Values are mapped
// linearly from r to 0..255 (r.Min to black, r.Max to white) and clipped; the
// zero Range maps the smallest and largest finite value of the batch instead.
// A pixel with a NaN in any channel is drawn magenta. If cols exceeds n, the
// grid is one row of n images; cells after the last image are grey.
//
// The picture is (cols*(w+2)+2) pixels wide and (rows*(h+2)+2) high, with
// rows = ceil(n/cols): pixel (x, y) of image i is at
// (2 + (i%cols)*(w+2) + x, 2 + (i/cols)*(h+2) + y).
func Grid(images []float32, n, c, h, w, cols int, r Range) (*image.RGBA, error) {
	if n <= 0 || h <= 0 || w <= 0 || cols <= 0 {
		return nil, inputErrorf("grid: n=%d, h=%d, w=%d, cols=%d must be positive", n, h, w, cols)
	}
	if c != 1 && c != 3 {
		return nil, inputErrorf("grid: %d channels, want 1 (grey) or 3 (RGB)", c)
	}
	if err := r.check("grid value"); err != nil {
		return nil, err
	}
	if cols > n {
		cols = n
	}
	rows := (n + cols - 1) / cols
	if w > maxSide || h > maxSide || cols*(w+GridBorder)+GridBorder > maxSide ||
		rows > maxSide || rows*(h+GridBorder)+GridBorder > maxSide {
		return nil, inputErrorf("grid: %d images of %dx%d in %d columns exceed %d pixels a side", n, w, h, cols, maxSide)
	}
	// Every factor is now at most maxSide and n <= rows*cols, so the
	// product fits in an int.
	if want := n * c * h * w; len(images) != want {
		return nil, inputErrorf("grid: len(images) = %d, want n*c*h*w = %d*%d*%d*%d = %d", len(images), n, c, h, w, want)
	}
	if r.IsZero() {
		r = fitRange(images)
	}

	gw := cols*(w+GridBorder) + GridBorder
	gh := rows*(h+GridBorder) + GridBorder
	dst := image.NewRGBA(image.Rect(0, 0, gw, gh))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(borderColor()), image.Point{}, draw.Src)

	scale := 255 / (r.Max - r.Min)
	level := func(v float32) uint8 {
		f := math.Round((float64(v) - r.Min) * scale)
		switch {
		case f <= 0: // also -Inf
			return 0
		case f >= 255: // also +Inf
			return 255
		default:
			return uint8(f)
		}
	}
	plane := h * w
	for i := 0; i < n; i++ {
		img := images[i*c*plane : (i+1)*c*plane]
		x0 := GridBorder + (i%cols)*(w+GridBorder)
		y0 := GridBorder + (i/cols)*(h+GridBorder)
		for y := 0; y < h; y++ {
			row := dst.Pix[(y0+y)*dst.Stride+x0*4:]
			for x := 0; x < w; x++ {
				px := row[x*4 : x*4+4 : x*4+4]
				k := y*w + x
				var rgb [3]float32
				if c == 1 {
					rgb = [3]float32{img[k], img[k], img[k]}
				} else {
					rgb = [3]float32{img[k], img[plane+k], img[2*plane+k]}
				}
				if isNaN32(rgb[0]) || isNaN32(rgb[1]) || isNaN32(rgb[2]) {
					m := nanColor()
					px[0], px[1], px[2], px[3] = m.R, m.G, m.B, m.A
					continue
				}
				px[0], px[1], px[2], px[3] = level(rgb[0]), level(rgb[1]), level(rgb[2]), 255
			}
		}
	}
	return dst, nil
}

// isNaN32 reports whether v is a NaN.
func isNaN32(v float32) bool { return v != v }

// fitRange returns the smallest and largest finite values of vs, widened to
// [v-0.5, v+0.5] when they are equal and [0, 1] when there are none, so the
// result is always a valid non-zero Range.
func fitRange(vs []float32) Range {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		f := float64(v)
		if !finite(f) {
			continue
		}
		lo = math.Min(lo, f)
		hi = math.Max(hi, f)
	}
	switch {
	case lo > hi:
		return Range{Min: 0, Max: 1}
	case lo == hi:
		return Range{Min: lo - 0.5, Max: hi + 0.5}
	}
	return Range{Min: lo, Max: hi}
}

// Upscale enlarges img by an integer factor with nearest-neighbour
// sampling, so that each pixel becomes a factor x factor block; it is meant
// for grids of tiny images such as 28x28 digits. A factor below 1 is treated
// as 1, which returns a copy, and a factor that would make a side longer than
// 20000 pixels is reduced to the largest that does not. The result's bounds
// start at (0, 0).
func Upscale(img image.Image, factor int) *image.RGBA {
	if img == nil {
		return image.NewRGBA(image.Rectangle{})
	}
	if factor < 1 {
		factor = 1
	}
	src := toRGBA(img)
	b := src.Bounds()
	if side := max(b.Dx(), b.Dy()); side > 0 && factor > maxSide/side {
		factor = max(1, maxSide/side)
	}
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx()*factor, b.Dy()*factor))
	for y := 0; y < b.Dy(); y++ {
		srow := src.Pix[y*src.Stride : y*src.Stride+b.Dx()*4]
		// Build the first enlarged row, then copy it factor-1 times.
		first := dst.Pix[y*factor*dst.Stride : y*factor*dst.Stride+dst.Stride]
		for x := 0; x < b.Dx(); x++ {
			for k := 0; k < factor; k++ {
				copy(first[(x*factor+k)*4:(x*factor+k)*4+4], srow[x*4:x*4+4])
			}
		}
		for k := 1; k < factor; k++ {
			off := (y*factor + k) * dst.Stride
			copy(dst.Pix[off:off+dst.Stride], first)
		}
	}
	return dst
}

// SidePanels places panels side by side from left to right, top-aligned,
// with a PanelGap-pixel white gap between them, on a white background as
// high as the highest panel; for example the inputs and the reconstructions
// of an autoencoder. Every panel must be non-nil and non-empty.
func SidePanels(panels ...image.Image) (*image.RGBA, error) {
	if len(panels) == 0 {
		return nil, inputErrorf("side panels: no panels")
	}
	width, height := 0, 0
	for i, p := range panels {
		if p == nil {
			return nil, inputErrorf("side panels: panel %d is nil", i)
		}
		b := p.Bounds()
		if b.Empty() {
			return nil, inputErrorf("side panels: panel %d is empty", i)
		}
		if i > 0 {
			width += PanelGap
		}
		width += b.Dx()
		height = max(height, b.Dy())
	}
	if width > maxSide || height > maxSide {
		return nil, inputErrorf("side panels: %dx%d pixels exceed %d a side", width, height, maxSide)
	}
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	x := 0
	for _, p := range panels {
		b := p.Bounds()
		draw.Draw(dst, image.Rect(x, 0, x+b.Dx(), b.Dy()), p, b.Min, draw.Src)
		x += b.Dx() + PanelGap
	}
	return dst, nil
}
