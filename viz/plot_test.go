package viz

import (
	"errors"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/vg"
)

// countColor returns how many pixels of img are exactly c (in the RGBA model).
func countColor(img image.Image, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)) == c {
				n++
			}
		}
	}
	return n
}

// ring returns n points on a circle of radius r around (cx, cy), interleaved.
func ring(n int, cx, cy, r float64) []float64 {
	xy := make([]float64, 0, 2*n)
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		xy = append(xy, cx+r*math.Cos(a), cy+r*math.Sin(a))
	}
	return xy
}

// TestSaveScatter checks size and that each series' colour is drawn. The
// series have no names, so there is no legend and the colours can only come
// from the points themselves.
func TestSaveScatter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.png")
	red := color.RGBA{220, 20, 20, 255}
	blue := color.RGBA{20, 20, 220, 255}
	series := []Series{
		{XY: ring(40, 0, 0, 1), Color: red},
		{XY: ring(40, 3, 0, 1), Color: blue, Radius: 4},
		{XY: ring(40, 0, 3, 1)}, // palette colour 2
	}
	if err := SaveScatter(path, "rings", series, &ScatterOptions{Width: 320, Height: 240}); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, path)
	if b := img.Bounds(); b.Dx() != 320 || b.Dy() != 240 {
		t.Fatalf("size %v, want 320x240", b)
	}
	for i, c := range []color.RGBA{red, blue, seriesColor(2)} {
		if n := countColor(img, c); n < 40 {
			t.Errorf("series %d: %d pixels of %v, want at least 40", i, n, c)
		}
	}
	onlyFiles(t, dir, "s.png")
}

// TestScatterRanges checks that points outside the given axis ranges are
// not drawn, and that the default size is 600x600.
func TestScatterRanges(t *testing.T) {
	red := color.RGBA{220, 20, 20, 255}
	blue := color.RGBA{20, 20, 220, 255}
	series := []Series{
		{XY: ring(20, 0.5, 0.5, 0.2), Color: red},
		{XY: ring(20, 10, 10, 1), Color: blue},
	}
	img, err := Scatter("", series, &ScatterOptions{XRange: Range{0, 1}, YRange: Range{0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 600 || b.Dy() != 600 {
		t.Fatalf("size %v, want 600x600", b)
	}
	if countColor(img, red) == 0 {
		t.Error("points inside the range are missing")
	}
	if n := countColor(img, blue); n != 0 {
		t.Errorf("%d pixels of points outside the range", n)
	}
}

// TestScatterNonFinite checks that non-finite points are skipped, not drawn
// and not an error, even when no finite point is left.
func TestScatterNonFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	series := []Series{
		{Name: "data", XY: []float64{0, 0, 1, 1, nan, 0, 0, inf}},
		{Name: "all bad", XY: []float64{nan, nan}},
		{Name: "empty"},
	}
	if _, err := Scatter("t", series, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Scatter("t", series[1:], nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		i, skip int
		want    string
	}{
		{"generated", 1, 3, "generated (3 non-finite skipped)"},
		{"data", 0, 0, "data"},
		{"", 4, 0, ""},
		{"", 4, 2, "series 4 (2 non-finite skipped)"},
	} {
		if got := skippedLabel(tc.name, tc.i, tc.skip, "non-finite"); got != tc.want {
			t.Errorf("skippedLabel(%q, %d, %d) = %q, want %q", tc.name, tc.i, tc.skip, got, tc.want)
		}
	}
}

func TestScatterErrors(t *testing.T) {
	good := []Series{{Name: "a", XY: []float64{0, 0}}}
	cases := []struct {
		name   string
		series []Series
		opts   *ScatterOptions
	}{
		{"odd XY", []Series{{Name: "a", XY: []float64{0, 0, 1}}}, nil},
		{"odd XY in second", append(good, Series{XY: []float64{1}}), nil},
		{"no series", nil, nil},
		{"negative radius", []Series{{XY: []float64{0, 0}, Radius: -1}}, nil},
		{"NaN radius", []Series{{XY: []float64{0, 0}, Radius: vg.Length(math.NaN())}}, nil},
		{"infinite radius", []Series{{XY: []float64{0, 0}, Radius: vg.Length(math.Inf(1))}}, nil},
		{"negative width", good, &ScatterOptions{Width: -1}},
		{"huge height", good, &ScatterOptions{Height: 1 << 30}},
		{"reversed x range", good, &ScatterOptions{XRange: Range{1, 0}}},
		{"infinite y range", good, &ScatterOptions{YRange: Range{0, math.Inf(1)}}},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		err := SaveScatter(filepath.Join(dir, "s.png"), "t", tc.series, tc.opts)
		if !errors.Is(err, ErrInput) {
			t.Errorf("%s: err = %v, want ErrInput", tc.name, err)
		}
	}
	onlyFiles(t, dir)
}

func TestSaveCurves(t *testing.T) {
	dir := t.TempDir()
	y := make([]float64, 50)
	for i := range y {
		y[i] = math.Exp(-float64(i) / 10)
	}
	curves := []Curve{
		{Name: "train", Y: y},
		{Name: "val", X: []float64{0, 10, 20, 30}, Y: []float64{1, math.NaN(), 0, -1}},
		{Name: "flat", Y: []float64{2, 2, 2}},
	}
	for _, o := range []*CurveOptions{nil, {Width: 400, Height: 300, LogY: true}} {
		path := filepath.Join(dir, "c.png")
		if err := SaveCurves(path, "loss", "iteration", "loss", curves, o); err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		img := decodePNG(t, path)
		w, h := 600, 600
		if o != nil {
			w, h = o.Width, o.Height
		}
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Errorf("%+v: size %v, want %dx%d", o, b, w, h)
		}
		if n := countColor(img, seriesColor(0)); n < 50 {
			t.Errorf("%+v: %d pixels of the first curve's colour, want at least 50", o, n)
		}
	}
	// A log axis with nothing positive, or one constant value, must not
	// panic inside gonum/plot.
	for _, cs := range [][]Curve{
		{{Y: []float64{0, -1}}},
		{{Y: []float64{3}}},
		{{}},
	} {
		if _, err := Curves("", "", "", cs, &CurveOptions{LogY: true}); err != nil {
			t.Errorf("%v: %v", cs, err)
		}
	}
	onlyFiles(t, dir, "c.png")
}

func TestCurvesErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		curves []Curve
		opts   *CurveOptions
	}{
		"no curves":  {nil, nil},
		"X/Y length": {[]Curve{{X: []float64{1, 2}, Y: []float64{1}}}, nil},
		"size":       {[]Curve{{Y: []float64{1}}}, &CurveOptions{Width: -5}},
	} {
		if _, err := Curves("", "", "", tc.curves, tc.opts); !errors.Is(err, ErrInput) {
			t.Errorf("%s: err = %v, want ErrInput", name, err)
		}
	}
}

// magentaBox returns the bounding box of the magenta (NaN) pixels of img.
func magentaBox(img image.Image) image.Rectangle {
	var box image.Rectangle
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)) == magenta {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

// TestSaveHeatmap checks the file and the orientation: row 0 at the top,
// column 0 on the left, found through the magenta of a NaN cell.
func TestSaveHeatmap(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "h.png")
	nan := math.NaN()
	if err := SaveHeatmap(path, []float64{nan, 1, 2, 3, 4, 5}, 2, 3, "plan"); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, path)
	if b := img.Bounds(); b.Dx() != heatmapWidth || b.Dy() != heatmapHeight {
		t.Fatalf("size %v, want %dx%d", b, heatmapWidth, heatmapHeight)
	}
	box := magentaBox(img)
	if box.Empty() || box.Max.Y > heatmapHeight/2 || box.Max.X > heatmapWidth/2 {
		t.Errorf("NaN at row 0, column 0 drawn at %v, want in the top-left quarter", box)
	}

	// Bottom-right NaN, and a matrix large enough to be rasterized.
	const n = 150
	v := make([]float64, n*n)
	for i := range v {
		v[i] = float64(i % 17)
	}
	v[n*n-1] = nan
	img, err := Heatmap(v, n, n, "")
	if err != nil {
		t.Fatal(err)
	}
	box = magentaBox(img)
	if box.Empty() || box.Min.Y < heatmapHeight/2 || box.Min.X < heatmapWidth/2 {
		t.Errorf("NaN at row %d, column %d drawn at %v, want in the bottom-right quarter", n-1, n-1, box)
	}

	// Constant, all-NaN and infinite matrices render.
	for _, vs := range [][]float64{{2, 2}, {nan, nan}, {math.Inf(-1), 0, math.Inf(1), 1}} {
		if _, err := Heatmap(vs, 1, len(vs), ""); err != nil {
			t.Errorf("%v: %v", vs, err)
		}
	}
	onlyFiles(t, dir, "h.png")
}

func TestHeatmapErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		v          []float64
		rows, cols int
	}{
		"short":     {make([]float64, 5), 2, 3},
		"long":      {make([]float64, 7), 2, 3},
		"zero rows": {nil, 0, 3},
		"neg cols":  {make([]float64, 6), -2, -3},
		"overflow":  {make([]float64, 4), 1 << 62, 4},
	} {
		if _, err := Heatmap(tc.v, tc.rows, tc.cols, ""); !errors.Is(err, ErrInput) {
			t.Errorf("%s: err = %v, want ErrInput", name, err)
		}
	}
	if err := SaveHeatmap(filepath.Join(t.TempDir(), "missing", "h.png"), []float64{1}, 1, 1, ""); err == nil || errors.Is(err, ErrInput) {
		t.Errorf("missing directory: err = %v, want an I/O error", err)
	}
	if _, err := os.Stat("h.png"); err == nil {
		t.Error("h.png written to the working directory")
	}
}
