package viz

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Default figure sizes in pixels.
const (
	defaultWidth  = 600
	defaultHeight = 600
	heatmapWidth  = 680 // the heat map and its colour bar
	heatmapHeight = 600
	colorBarWidth = 110 // colour bar with its labels, right of the heat map
	colorBarGap   = 10
)

// defaultRadius is the radius of a scatter point when Series.Radius is 0.
const defaultRadius = vg.Length(2)

// render returns the picture that drawFn draws on a w x h pixel canvas. A
// panic inside gonum/plot, on input that viz failed to reject, is returned
// as an error.
func render(w, h int, drawFn func(dc draw.Canvas)) (img *image.RGBA, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("%w: %v", errPanic, r)
		}
	}()
	c := vgimg.NewWith(vgimg.UseImage(image.NewRGBA(image.Rect(0, 0, w, h))), vgimg.UseDPI(dpi))
	drawFn(draw.New(c))
	return toRGBA(c.Image()), nil
}

// skippedLabel returns name, or "series i" if name is empty and skipped > 0,
// followed by "(skipped what skipped)" when skipped > 0.
func skippedLabel(name string, i, skipped int, what string) string {
	if skipped == 0 {
		return name
	}
	if name == "" {
		name = "series " + strconv.Itoa(i)
	}
	return fmt.Sprintf("%s (%d %s skipped)", name, skipped, what)
}

// applyRange sets the axis range from r unless r is zero.
func applyRange(a *plot.Axis, r Range) {
	if !r.IsZero() {
		a.Min, a.Max = r.Min, r.Max
	}
}

// Series is one set of 2-D points of a scatter plot.
type Series struct {
	// Name labels the series in the legend; a series without a name has
	// no legend entry unless some of its points were skipped.
	Name string
	// XY holds the points interleaved: x0, y0, x1, y1, ...; its length
	// must be even. Points with a NaN or infinite coordinate are skipped
	// and counted in the legend.
	XY []float64
	// Color is the colour of the points; nil picks the series' colour
	// from a palette of ten.
	Color color.Color
	// Radius is the radius of a point; 0 means 2 points (about 2.7 pixels).
	Radius vg.Length
}

// ScatterOptions sets the size and the axes of a scatter plot. A nil
// *ScatterOptions means all defaults.
type ScatterOptions struct {
	// Width and Height are the size of the PNG in pixels; 0 means 600.
	Width, Height int
	// XRange and YRange are the ranges of the axes; the zero Range fits the
	// data. Points outside the ranges are not drawn.
	XRange, YRange Range
}

// Scatter draws the series as a scatter plot, the first series at the
// bottom, with a legend of the named series in the top right corner. It
// returns an error wrapping ErrInput if there is no series, if a series has
// an odd number of coordinates or a negative radius, or if an option is
// invalid.
func Scatter(title string, series []Series, opts *ScatterOptions) (*image.RGBA, error) {
	var o ScatterOptions
	if opts != nil {
		o = *opts
	}
	w, h, err := figureSize("scatter", o.Width, o.Height, defaultWidth, defaultHeight)
	if err != nil {
		return nil, err
	}
	if err := o.XRange.check("scatter x"); err != nil {
		return nil, err
	}
	if err := o.YRange.check("scatter y"); err != nil {
		return nil, err
	}
	if len(series) == 0 {
		return nil, inputErrorf("scatter: no series")
	}

	p := plot.New()
	p.Title.Text = title
	p.Legend.Top = true
	for i, s := range series {
		if len(s.XY)%2 != 0 {
			return nil, inputErrorf("scatter: series %d (%q): len(XY) = %d is odd", i, s.Name, len(s.XY))
		}
		if s.Radius < 0 || !finite(float64(s.Radius)) {
			return nil, inputErrorf("scatter: series %d (%q): radius %v must be finite and non-negative", i, s.Name, s.Radius)
		}
		pts := make(plotter.XYs, 0, len(s.XY)/2)
		for k := 0; k < len(s.XY); k += 2 {
			x, y := s.XY[k], s.XY[k+1]
			if finite(x) && finite(y) {
				pts = append(pts, plotter.XY{X: x, Y: y})
			}
		}
		skipped := len(s.XY)/2 - len(pts)
		sc, err := plotter.NewScatter(pts)
		if err != nil { // cannot happen: every point is finite
			return nil, fmt.Errorf("viz: scatter: series %d (%q): %w", i, s.Name, err)
		}
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Color = s.Color
		if s.Color == nil {
			sc.GlyphStyle.Color = seriesColor(i)
		}
		sc.GlyphStyle.Radius = s.Radius
		if s.Radius == 0 {
			sc.GlyphStyle.Radius = defaultRadius
		}
		if len(pts) > 0 {
			p.Add(sc)
		}
		if label := skippedLabel(s.Name, i, skipped, "non-finite"); label != "" {
			p.Legend.Add(label, sc)
		}
	}
	applyRange(&p.X, o.XRange)
	applyRange(&p.Y, o.YRange)
	img, err := render(w, h, p.Draw)
	if err != nil {
		return nil, fmt.Errorf("viz: scatter %q: %w", title, err)
	}
	return img, nil
}

// SaveScatter draws a scatter plot with Scatter and saves it as a PNG with
// SavePNG.
func SaveScatter(path, title string, series []Series, opts *ScatterOptions) error {
	img, err := Scatter(title, series, opts)
	if err != nil {
		return err
	}
	return SavePNG(path, img)
}

// Curve is one line of a curve plot, such as a loss against the iteration.
type Curve struct {
	// Name labels the curve in the legend; a curve without a name has no
	// legend entry unless some of its points were skipped.
	Name string
	// X and Y are the coordinates of the points, in order. X must have the
	// length of Y, or be nil to mean 0, 1, 2, ... Points with a NaN or
	// infinite coordinate (or, on a logarithmic y axis, y <= 0) are skipped
	// and counted in the legend.
	X, Y []float64
}

// CurveOptions sets the size and the y scale of a curve plot. A nil
// *CurveOptions means all defaults.
type CurveOptions struct {
	// Width and Height are the size of the PNG in pixels; 0 means 600.
	Width, Height int
	// LogY draws the y axis on a logarithmic scale.
	LogY bool
}

// errPanic is wrapped by the error returned when gonum/plot panics on input
// that viz failed to reject beforehand.
var errPanic = errors.New("drawing failed")

// Curves draws curves as lines in the colours of the scatter palette, with
// a legend of the named curves in the top right corner. It returns an error
// wrapping ErrInput if there is no curve, if a curve's X and Y differ in
// length, or if an option is invalid.
func Curves(title, xlabel, ylabel string, curves []Curve, opts *CurveOptions) (*image.RGBA, error) {
	var o CurveOptions
	if opts != nil {
		o = *opts
	}
	w, h, err := figureSize("curves", o.Width, o.Height, defaultWidth, defaultHeight)
	if err != nil {
		return nil, err
	}
	if len(curves) == 0 {
		return nil, inputErrorf("curves: no curves")
	}

	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for i, cv := range curves {
		if cv.X != nil && len(cv.X) != len(cv.Y) {
			return nil, inputErrorf("curves: curve %d (%q): len(X) = %d, len(Y) = %d", i, cv.Name, len(cv.X), len(cv.Y))
		}
		pts := make(plotter.XYs, 0, len(cv.Y))
		for k, y := range cv.Y {
			x := float64(k)
			if cv.X != nil {
				x = cv.X[k]
			}
			if finite(x) && finite(y) && (!o.LogY || y > 0) {
				pts = append(pts, plotter.XY{X: x, Y: y})
				ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
			}
		}
		skipped := len(cv.Y) - len(pts)
		line, err := plotter.NewLine(pts)
		if err != nil { // cannot happen: every point is finite
			return nil, fmt.Errorf("viz: curves: curve %d (%q): %w", i, cv.Name, err)
		}
		line.LineStyle.Color = seriesColor(i)
		line.LineStyle.Width = vg.Points(1.5)
		if len(pts) > 0 {
			p.Add(line)
		}
		what := "non-finite"
		if o.LogY {
			what = "non-finite or non-positive"
		}
		if label := skippedLabel(cv.Name, i, skipped, what); label != "" {
			p.Legend.Add(label, line)
		}
	}
	if o.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		// plot widens an empty or flat range by ±1, which a log axis
		// cannot take when it reaches 0 or below.
		switch {
		case ymin > ymax:
			p.Y.Min, p.Y.Max = 1, 10
		case ymin == ymax:
			p.Y.Min, p.Y.Max = ymin/2, ymax*2
		}
	}
	img, err := render(w, h, p.Draw)
	if err != nil {
		return nil, fmt.Errorf("viz: curves %q: %w", title, err)
	}
	return img, nil
}

// SaveCurves draws curves with Curves and saves them as a PNG with SavePNG.
func SaveCurves(path, title, xlabel, ylabel string, curves []Curve, opts *CurveOptions) error {
	img, err := Curves(title, xlabel, ylabel, curves, opts)
	if err != nil {
		return err
	}
	return SavePNG(path, img)
}

// matrixGrid shows a row-major matrix as a plotter.GridXYZ with row 0 at the
// top: grid row r (counted upwards from the bottom) is matrix row rows-1-r.
type matrixGrid struct {
	v          []float64
	rows, cols int
}

func (g matrixGrid) Dims() (c, r int)   { return g.cols, g.rows }
func (g matrixGrid) Z(c, r int) float64 { return g.v[(g.rows-1-r)*g.cols+c] }
func (g matrixGrid) X(c int) float64    { return float64(c) }
func (g matrixGrid) Y(r int) float64    { return float64(r) }

// indexTicks labels an axis that shows the indices 0..n-1 of a matrix with
// at most about eight integer ticks; with fromTop, index 0 is at the top
// of the axis (the largest data value).
func indexTicks(n int, fromTop bool) plot.Ticker {
	step := 1 // the first of 1, 2, 5, 10, 20, 50, ... that gives <= 8 ticks
	for mult := 1; (n-1)/step >= 8; mult *= 10 {
		for _, s := range [...]int{1, 2, 5} {
			if step = s * mult; (n-1)/step < 8 {
				break
			}
		}
	}
	return plot.TickerFunc(func(_, _ float64) []plot.Tick {
		var out []plot.Tick
		for i := 0; i < n; i += step {
			v := float64(i)
			if fromTop {
				v = float64(n - 1 - i)
			}
			out = append(out, plot.Tick{Value: v, Label: strconv.Itoa(i)})
		}
		return out
	})
}

// Heatmap draws a rows x cols matrix, given row-major in values, as a heat
// map with row 0 at the top and column 0 on the left, and a colour bar on
// the right; for example a transport plan. Colours follow the extended
// black-body map from the smallest finite value (black) to the largest
// (white); NaN is magenta and ±Inf take the colour of the ends. It returns
// an error wrapping ErrInput if the sizes are not positive or do not match
// len(values).
func Heatmap(values []float64, rows, cols int, title string) (*image.RGBA, error) {
	if rows <= 0 || cols <= 0 {
		return nil, inputErrorf("heatmap: %dx%d: sizes must be positive", rows, cols)
	}
	if len(values)%rows != 0 || len(values)/rows != cols {
		return nil, inputErrorf("heatmap: len(values) = %d, want rows*cols for %dx%d", len(values), rows, cols)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if finite(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	switch {
	case lo > hi:
		lo, hi = 0, 1
	case lo == hi:
		lo, hi = lo-0.5, hi+0.5
	}

	cm := moreland.ExtendedBlackBody()
	cm.SetMin(lo)
	cm.SetMax(hi)
	pal := cm.Palette(256)
	colors := pal.Colors()
	hm := plotter.NewHeatMap(matrixGrid{v: values, rows: rows, cols: cols}, pal)
	hm.Min, hm.Max = lo, hi
	hm.NaN = nanColor()
	hm.Underflow = colors[0]
	hm.Overflow = colors[len(colors)-1]
	// Drawing one rectangle a cell is exact but slow for big matrices.
	hm.Rasterized = rows*cols > 128*128

	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "column"
	p.Y.Label.Text = "row"
	p.X.Tick.Marker = indexTicks(cols, false)
	p.Y.Tick.Marker = indexTicks(rows, true)
	p.Add(hm)

	bar := plot.New()
	bar.HideX()
	bar.Y.Padding = 0
	bar.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})

	img, err := render(heatmapWidth, heatmapHeight, func(dc draw.Canvas) {
		left := dc
		left.Max.X -= pixelsToLength(colorBarWidth)
		p.Draw(left)
		// The bar spans the height of the heat map, to its right.
		da := p.DataCanvas(left)
		right := dc
		right.Min.X = left.Max.X + pixelsToLength(colorBarGap)
		right.Max.X -= pixelsToLength(colorBarGap)
		right.Min.Y, right.Max.Y = da.Min.Y, da.Max.Y
		bar.Draw(right)
	})
	if err != nil {
		return nil, fmt.Errorf("viz: heatmap %q: %w", title, err)
	}
	return img, nil
}

// SaveHeatmap draws a matrix with Heatmap and saves it as a PNG with
// SavePNG.
func SaveHeatmap(path string, values []float64, rows, cols int, title string) error {
	img, err := Heatmap(values, rows, cols, title)
	if err != nil {
		return err
	}
	return SavePNG(path, img)
}
