package viz

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// decodePNG reads and decodes the PNG at path.
func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

// sameImage reports the first pixel where a and b differ, comparing colours
// in the RGBA model, or ok if they have the same size and pixels.
func sameImage(t *testing.T, a, b image.Image) {
	t.Helper()
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Dx() != bb.Dx() || ab.Dy() != bb.Dy() {
		t.Fatalf("sizes differ: %v and %v", ab, bb)
	}
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			ca := color.RGBAModel.Convert(a.At(ab.Min.X+x, ab.Min.Y+y))
			cb := color.RGBAModel.Convert(b.At(bb.Min.X+x, bb.Min.Y+y))
			if ca != cb {
				t.Fatalf("pixel (%d,%d): %v != %v", x, y, ca, cb)
			}
		}
	}
}

// onlyFiles fails unless dir holds exactly the named files (no temporary
// files left behind).
func onlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
	for i := range names {
		if got[i] != names[i] {
			t.Fatalf("%s holds %v, want %v", dir, got, names)
		}
	}
}

func testGrid(t *testing.T, v float32) *image.RGBA {
	t.Helper()
	imgs := make([]float32, 3*3*5*4)
	for i := range imgs {
		imgs[i] = v * float32(i%7) / 6
	}
	g, err := Grid(imgs, 3, 3, 5, 4, 2, Range{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestSavePNGRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "grid.png")
	g := testGrid(t, 1)
	if err := SavePNG(path, g); err != nil {
		t.Fatal(err)
	}
	sameImage(t, decodePNG(t, path), g)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("stat %s: mode %v, err %v; want 0644", path, fi.Mode(), err)
	}

	// Overwriting replaces the content.
	g2 := testGrid(t, 0.5)
	if err := SavePNG(path, g2); err != nil {
		t.Fatal(err)
	}
	sameImage(t, decodePNG(t, path), g2)
	onlyFiles(t, dir, "grid.png")
}

func TestSaveGrid(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "g.png")
	imgs := []float32{0, 1, 0.5, 0.25}
	if err := SaveGrid(path, imgs, 4, 1, 1, 1, 2, Range{0, 1}); err != nil {
		t.Fatal(err)
	}
	want, _ := Grid(imgs, 4, 1, 1, 1, 2, Range{0, 1})
	sameImage(t, decodePNG(t, path), want)

	if err := SaveGrid(filepath.Join(dir, "bad.png"), imgs, 3, 1, 1, 1, 2, Range{0, 1}); !errors.Is(err, ErrInput) {
		t.Errorf("wrong length: err = %v, want ErrInput", err)
	}
	onlyFiles(t, dir, "g.png")
}

// TestSavePNGFailureKeepsFile checks that failed writes leave an existing
// file byte for byte as it was and leave no temporary file behind.
func TestSavePNGFailureKeepsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keep.png")
	old := []byte("previous content")
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	img := testGrid(t, 1)

	// The encoder fails: png cannot encode an empty image.
	if err := SavePNG(path, image.NewRGBA(image.Rectangle{})); err == nil {
		t.Error("empty image: no error")
	}
	if err := SavePNG(path, nil); !errors.Is(err, ErrInput) {
		t.Errorf("nil image: err = %v, want ErrInput", err)
	}
	// The directory does not exist.
	if err := SavePNG(filepath.Join(dir, "missing", "x.png"), img); err == nil {
		t.Error("missing directory: no error")
	}
	// The parent is a file.
	if err := SavePNG(filepath.Join(path, "x.png"), img); err == nil {
		t.Error("parent is a file: no error")
	}
	// The destination is a directory: rename fails after the temp file
	// was written.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := SavePNG(sub, img); err == nil {
		t.Error("destination is a non-empty directory: no error")
	}
	if err := SavePNG("", img); !errors.Is(err, ErrInput) {
		t.Errorf("empty path: err = %v, want ErrInput", err)
	}

	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, old) {
		t.Errorf("existing file changed: %q, %v", got, err)
	}
	onlyFiles(t, dir, "keep.png", "sub")
	onlyFiles(t, sub, "f")
}
