package data

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var (
	red   = color.RGBA{255, 0, 0, 255}
	green = color.RGBA{0, 255, 0, 255}
	blue  = color.RGBA{0, 0, 255, 255}
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
)

// solid returns a w x h image of colour c.
func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, img.Rect, c)
	return img
}

// fill paints r of img with c.
func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// writePNG writes img as dir/name in PNG.
func writePNG(t *testing.T, dir, name string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, name, buf.Bytes())
}

// writeJPEG writes img as dir/name in JPEG of quality 95.
func writeJPEG(t *testing.T, dir, name string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, name, buf.Bytes())
}

// example returns example i of m.
func example(m *Images, i int) []float32 {
	dst := make([]float32, 3*m.Size()*m.Size())
	m.Example(i, dst)
	return dst
}

// pixel returns channel c of pixel (x, y) of a CHW example of side s.
func pixel(ex []float32, s, c, x, y int) float32 { return ex[c*s*s+y*s+x] }

// checkAll fails unless every pixel of ex has the colour want (per channel,
// in the example's range) within tol.
func checkAll(t *testing.T, ex []float32, want [3]float32, tol float64) {
	t.Helper()
	plane := len(ex) / 3
	for c := range 3 {
		for k, v := range ex[c*plane : (c+1)*plane] {
			if math.Abs(float64(v-want[c])) > tol {
				t.Fatalf("channel %d pixel %d = %v, want %v ± %v", c, k, v, want[c], tol)
			}
		}
	}
}

func TestImageFolderColoursCHW(t *testing.T) {
	dir := t.TempDir()
	// Quadrants: red top-left, green top-right, blue bottom-left, white
	// bottom-right.
	q := solid(40, 40, white)
	fill(q, image.Rect(0, 0, 20, 20), red)
	fill(q, image.Rect(20, 0, 40, 20), green)
	fill(q, image.Rect(0, 20, 20, 40), blue)
	writePNG(t, dir, "a_quadrants.png", q)
	writePNG(t, dir, "b_red.PNG", solid(32, 48, red))
	writeJPEG(t, dir, "c_red.jpg", solid(48, 32, red))
	writeJPEG(t, dir, "d_blue.jpeg", solid(50, 50, blue))
	writeFile(t, dir, "notes.txt", []byte("not an image"))

	m, err := OpenImageFolder(dir, ImageOptions{Size: 8, Warn: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Shape(), []int{3, 8, 8}; !slices.Equal(got, want) {
		t.Fatalf("Shape = %v, want %v", got, want)
	}
	if m.Len() != 4 {
		t.Fatalf("Len = %d, want 4", m.Len())
	}
	for i, want := range []string{"a_quadrants.png", "b_red.PNG", "c_red.jpg", "d_blue.jpeg"} {
		if m.Name(i) != want {
			t.Errorf("Name(%d) = %q, want %q", i, m.Name(i), want)
		}
	}
	ex := example(m, 0)
	for _, tc := range []struct {
		x, y int
		want [3]float32
	}{{1, 1, [3]float32{1, 0, 0}}, {6, 1, [3]float32{0, 1, 0}}, {1, 6, [3]float32{0, 0, 1}}, {6, 6, [3]float32{1, 1, 1}}} {
		for c := range 3 {
			if got := pixel(ex, 8, c, tc.x, tc.y); math.Abs(float64(got-tc.want[c])) > 0.01 {
				t.Errorf("quadrants (%d,%d) channel %d = %v, want %v", tc.x, tc.y, c, got, tc.want[c])
			}
		}
	}
	checkAll(t, example(m, 1), [3]float32{1, 0, 0}, 0.01) // PNG: exact
	checkAll(t, example(m, 2), [3]float32{1, 0, 0}, 0.05) // JPEG: chroma loss
	checkAll(t, example(m, 3), [3]float32{0, 0, 1}, 0.05)

	s, err := OpenImageFolder(dir, ImageOptions{Size: 8, Range: RangeSigned})
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, example(s, 1), [3]float32{1, -1, -1}, 0.02)
	checkAll(t, example(s, 2), [3]float32{1, -1, -1}, 0.1)
}

func TestImageFolderCrop(t *testing.T) {
	dir := t.TempDir()
	// The CelebA face box is white on black, at the original size and at
	// twice it: the box scales with the image.
	face := solid(178, 218, black)
	fill(face, CelebACrop, white)
	writePNG(t, dir, "a.png", face)
	big := solid(356, 436, black)
	fill(big, image.Rect(38, 78, 318, 358), white)
	writePNG(t, dir, "b.png", big)
	m, err := OpenImageFolder(dir, ImageOptions{Size: 16, Crop: CelebACrop, CropRef: CelebARef})
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, example(m, 0), [3]float32{1, 1, 1}, 0.01)
	checkAll(t, example(m, 1), [3]float32{1, 1, 1}, 0.01)

	// The default crop is the centred square: green between red and blue
	// bands, both for a tall and a wide image.
	dir2 := t.TempDir()
	tall := solid(30, 50, green)
	fill(tall, image.Rect(0, 0, 30, 10), red)
	fill(tall, image.Rect(0, 40, 30, 50), blue)
	writePNG(t, dir2, "tall.png", tall)
	wide := solid(50, 30, green)
	fill(wide, image.Rect(0, 0, 10, 30), red)
	fill(wide, image.Rect(40, 0, 50, 30), blue)
	writePNG(t, dir2, "wide.png", wide)
	m, err = OpenImageFolder(dir2, ImageOptions{Size: 12})
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, example(m, 0), [3]float32{0, 1, 0}, 0.01)
	checkAll(t, example(m, 1), [3]float32{0, 1, 0}, 0.01)

	// A pixel box outside an image is an error, even when skipping.
	_, err = OpenImageFolder(dir2, ImageOptions{Size: 12, Crop: image.Rect(0, 0, 40, 40), OnCorrupt: OnCorruptSkip, Warn: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "not inside") {
		t.Fatalf("crop outside the image: err = %v", err)
	}
}

// corruptFolder writes good.png (red), bad1.jpg (not a JPEG),
// bad2.jpg (a truncated JPEG) and later.jpg (blue) into a new folder.
func corruptFolder(t *testing.T) string {
	dir := t.TempDir()
	writePNG(t, dir, "a_good.png", solid(20, 20, red))
	writeFile(t, dir, "b_bad.jpg", []byte("this is not a JPEG file"))
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, solid(64, 64, green), nil); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "c_truncated.jpg", buf.Bytes()[:buf.Len()/2])
	writeJPEG(t, dir, "d_later.jpg", solid(20, 20, blue))
	return dir
}

func TestImageFolderCorrupt(t *testing.T) {
	dir := corruptFolder(t)
	for _, workers := range []int{1, 4} {
		_, err := OpenImageFolder(dir, ImageOptions{Size: 4, Workers: workers})
		var ce *CorruptImageError
		if !errors.As(err, &ce) {
			t.Fatalf("stop, %d workers: err = %v, want a *CorruptImageError", workers, err)
		}
		if filepath.Base(ce.Path) != "b_bad.jpg" || !strings.Contains(err.Error(), "b_bad.jpg") || !strings.HasPrefix(err.Error(), "data: image folder: ") {
			t.Fatalf("stop, %d workers: err = %v, want it to name b_bad.jpg first", workers, err)
		}
	}

	var warn bytes.Buffer
	m, err := OpenImageFolder(dir, ImageOptions{Size: 4, OnCorrupt: OnCorruptSkip, Warn: &warn})
	if err != nil {
		t.Fatal(err)
	}
	if m.Len() != 2 || m.Name(0) != "a_good.png" || m.Name(1) != "d_later.jpg" {
		t.Fatalf("skip kept %d images %v, want a_good.png, d_later.jpg", m.Len(), []string{m.Name(0)})
	}
	checkAll(t, example(m, 0), [3]float32{1, 0, 0}, 0.01)
	checkAll(t, example(m, 1), [3]float32{0, 0, 1}, 0.05)
	want := []string{filepath.Join(dir, "b_bad.jpg"), filepath.Join(dir, "c_truncated.jpg")}
	if got := m.Skipped(); !slices.Equal(got, want) {
		t.Errorf("Skipped = %v, want %v", got, want)
	}
	lines := strings.Split(strings.TrimSpace(warn.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "b_bad.jpg") || !strings.Contains(lines[1], "c_truncated.jpg") {
		t.Errorf("warnings = %q, want one line for each corrupt file", warn.String())
	}

	// Nothing left after skipping.
	only := t.TempDir()
	writeFile(t, only, "x.jpg", []byte("garbage"))
	_, err = OpenImageFolder(only, ImageOptions{OnCorrupt: OnCorruptSkip, Warn: io.Discard})
	if !errors.Is(err, ErrNoImages) {
		t.Fatalf("all corrupt: err = %v, want ErrNoImages", err)
	}
}

func TestImageFolderErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := OpenImageFolder(missing, ImageOptions{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "--data-dir") || !strings.Contains(err.Error(), DataEnv) {
		t.Errorf("missing folder: err = %v", err)
	}

	empty := t.TempDir()
	writeFile(t, empty, "README", []byte("no images here"))
	_, err = OpenImageFolder(empty, ImageOptions{})
	if !errors.Is(err, ErrNoImages) || !strings.Contains(err.Error(), empty) {
		t.Errorf("empty folder: err = %v", err)
	}

	file := filepath.Join(empty, "README")
	if _, err := OpenImageFolder(file, ImageOptions{}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file as folder: err = %v", err)
	}

	dir := t.TempDir()
	writePNG(t, dir, "a.png", solid(4, 4, red))
	for _, o := range []ImageOptions{
		{Size: -1}, {Size: maxImageSize + 1}, {Range: "0..1"}, {OnCorrupt: "ignore"}, {Workers: -2},
		{Crop: image.Rect(-1, 0, 2, 2)}, {CropRef: image.Pt(10, 10)},
		{Crop: image.Rect(0, 0, 20, 20), CropRef: image.Pt(10, 10)},
	} {
		if _, err := OpenImageFolder(dir, o); err == nil || !strings.HasPrefix(err.Error(), "data: image folder: ") {
			t.Errorf("options %+v: err = %v, want an error", o, err)
		}
	}
}

func TestImageFolderDeterministic(t *testing.T) {
	dir := t.TempDir()
	for i := range 9 {
		img := solid(30+i, 25, color.RGBA{uint8(20 * i), uint8(255 - 20*i), 128, 255})
		fill(img, image.Rect(i, i, 10+i, 12), white)
		writeJPEG(t, dir, string(rune('a'+i))+".jpg", img)
	}
	a, err := OpenImageFolder(dir, ImageOptions{Size: 10, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenImageFolder(dir, ImageOptions{Size: 10, Workers: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Len() {
		if !bytes.Equal(a.Pixels(i), b.Pixels(i)) {
			t.Fatalf("image %d differs between 1 and 5 workers", i)
		}
	}
}

func TestImagesShuffleBatcher(t *testing.T) {
	dir := t.TempDir()
	colours := []color.RGBA{red, green, blue, white, black}
	for i, c := range colours {
		writePNG(t, dir, string(rune('a'+i))+".png", solid(12, 12, c))
	}
	m, err := OpenImageFolder(dir, ImageOptions{Size: 6})
	if err != nil {
		t.Fatal(err)
	}
	const batch = 3
	b, err := NewShuffleBatcher(m, batch, 7)
	if err != nil {
		t.Fatal(err)
	}
	dim := 3 * 6 * 6
	dst := make([]float32, batch*dim)
	for i := range dst {
		dst[i] = -7
	}
	seen := map[int]int{}
	for range 5 { // three epochs
		if err := b.Next(dst); err != nil {
			t.Fatal(err)
		}
		for k := range batch {
			got := dst[k*dim : (k+1)*dim]
			found := -1
			for i := range m.Len() {
				if slices.Equal(got, example(m, i)) {
					found = i
				}
			}
			if found < 0 {
				t.Fatalf("batch slot %d is no example of the dataset", k)
			}
			seen[found]++
		}
	}
	if len(seen) != len(colours) {
		t.Errorf("15 draws over 3 epochs saw %d distinct images, want %d", len(seen), len(colours))
	}
}
