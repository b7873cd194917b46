package data

import (
	"bufio"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// realCelebADir returns $OTGEN_DATA/celeba, or skips the test if OTGEN_DATA
// is not set.
func realCelebADir(t testing.TB) string {
	t.Helper()
	if os.Getenv(DataEnv) == "" {
		t.Skip("OTGEN_DATA not set: set it to the shared data folder to run the tests on real CelebA files")
	}
	dir, err := DefaultCelebADir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// fakeCelebA writes a CelebA folder of four 178x218 images whose face box
// has a known colour, and an attribute file for them.
func fakeCelebA(t *testing.T) string {
	dir := t.TempDir()
	imgs := filepath.Join(dir, CelebAImages)
	if err := os.Mkdir(imgs, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, c := range []color.RGBA{red, green, blue, white} {
		img := solid(178, 218, black)
		fill(img, CelebACrop, c)
		writePNG(t, imgs, []string{"000001.png", "000002.png", "000003.png", "000004.png"}[i], img)
	}
	writeFile(t, dir, CelebAAttrFile, []byte("4\r\nMale Smiling\r\n"+
		"000001.png  1 -1\r\n000002.png -1 -1\r\n000003.png  1  1\r\n000004.png -1  1\r\n"))
	return dir
}

func TestCelebASynthetic(t *testing.T) {
	dir := fakeCelebA(t)
	m, err := OpenCelebA(dir, CelebAOptions{ImageOptions: ImageOptions{Size: 8, Range: RangeSigned}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Len() != 4 {
		t.Fatalf("Len = %d, want 4", m.Len())
	}
	// The default crop is the face box, so no black border shows.
	checkAll(t, example(m, 0), [3]float32{1, -1, -1}, 0.02)
	checkAll(t, example(m, 3), [3]float32{1, 1, 1}, 0.02)

	m, err = OpenCelebA(dir, CelebAOptions{ImageOptions: ImageOptions{Size: 8}, Attr: AttrFilter{"Male": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Len() != 2 || m.Name(0) != "000001.png" || m.Name(1) != "000003.png" {
		t.Fatalf("Male=1 kept %d images", m.Len())
	}
	checkAll(t, example(m, 1), [3]float32{0, 0, 1}, 0.01)

	m, err = OpenCelebA(dir, CelebAOptions{ImageOptions: ImageOptions{Size: 8}, Attr: AttrFilter{"Smiling": 1}, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if m.Len() != 1 || m.Name(0) != "000003.png" {
		t.Fatalf("Smiling=1 in the first 3 kept %d images", m.Len())
	}

	_, err = OpenCelebA(dir, CelebAOptions{Attr: AttrFilter{"Male": -1, "Smiling": 1}, Limit: 2})
	if !errors.Is(err, ErrNoImages) || !strings.Contains(err.Error(), "Male=-1,Smiling=1") {
		t.Errorf("no match: err = %v", err)
	}
}

func TestCelebAErrors(t *testing.T) {
	dir := fakeCelebA(t)
	_, err := OpenCelebA(dir, CelebAOptions{Attr: AttrFilter{"Bald": 1}})
	if err == nil || !strings.HasPrefix(err.Error(), "data: celeba: ") || !strings.Contains(err.Error(), `unknown attribute "Bald" (valid: Male, Smiling)`) {
		t.Errorf("unknown attribute: err = %v", err)
	}

	_, err = OpenCelebA(dir, CelebAOptions{Attr: AttrFilter{"Male": 1}, AttrFile: "nope.txt"})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "nope.txt") {
		t.Errorf("missing attribute file: err = %v", err)
	}

	writeFile(t, dir, "bad_attr.txt", []byte("4\nMale Smiling\n000001.png 1 -1\n000002.png 1\n"))
	_, err = OpenCelebA(dir, CelebAOptions{Attr: AttrFilter{"Male": 1}, AttrFile: "bad_attr.txt"})
	if err == nil || !strings.Contains(err.Error(), "bad_attr.txt: line 4") {
		t.Errorf("malformed attribute file: err = %v", err)
	}

	// A directory where the attribute file should be cannot be read.
	if err := os.Mkdir(filepath.Join(dir, "dir_attr.txt"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = OpenCelebA(dir, CelebAOptions{Attr: AttrFilter{"Male": 1}, AttrFile: "dir_attr.txt"})
	if err == nil || !strings.Contains(err.Error(), "dir_attr.txt") {
		t.Errorf("unreadable attribute file: err = %v", err)
	}

	// An image without a row in the attribute file.
	writeFile(t, dir, "short_attr.txt", []byte("1\nMale Smiling\n000001.png 1 -1\n"))
	_, err = OpenCelebA(dir, CelebAOptions{Attr: AttrFilter{"Male": 1}, AttrFile: "short_attr.txt"})
	if err == nil || !strings.Contains(err.Error(), "000002.png has no row") {
		t.Errorf("image without attributes: err = %v", err)
	}

	missing := filepath.Join(t.TempDir(), "celeba")
	_, err = OpenCelebA(missing, CelebAOptions{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "--data-dir") || !strings.Contains(err.Error(), DataEnv) {
		t.Errorf("missing folder: err = %v", err)
	}
	_, err = OpenCelebA(t.TempDir(), CelebAOptions{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), CelebAImages) {
		t.Errorf("missing image folder: err = %v", err)
	}

	empty := t.TempDir()
	if err := os.Mkdir(filepath.Join(empty, CelebAImages), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = OpenCelebA(empty, CelebAOptions{})
	if !errors.Is(err, ErrNoImages) {
		t.Errorf("empty image folder: err = %v", err)
	}

	writeFile(t, filepath.Join(dir, CelebAImages), "000005.jpg", []byte{0xff, 0xd8, 0xff})
	_, err = OpenCelebA(dir, CelebAOptions{})
	var ce *CorruptImageError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "000005.jpg") {
		t.Errorf("corrupt image, stop: err = %v", err)
	}
	var warn strings.Builder
	m, err := OpenCelebA(dir, CelebAOptions{ImageOptions: ImageOptions{OnCorrupt: OnCorruptSkip, Warn: &warn}})
	if err != nil || m.Len() != 4 || !strings.Contains(warn.String(), "000005.jpg") {
		t.Errorf("corrupt image, skip: %v, warnings %q", err, warn.String())
	}

	if _, err := OpenCelebA(dir, CelebAOptions{Limit: -1}); err == nil {
		t.Error("negative limit: no error")
	}
}

func TestDefaultCelebADir(t *testing.T) {
	t.Setenv(DataEnv, "")
	if _, err := DefaultCelebADir(); !errors.Is(err, ErrNoDataDir) || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("unset: err = %v", err)
	}
	t.Setenv(DataEnv, "/some/data")
	if dir, err := DefaultCelebADir(); err != nil || dir != filepath.FromSlash("/some/data/celeba") {
		t.Errorf("set: %q, %v", dir, err)
	}
}

// maleCount counts the rows with Male=1 among the first n rows of the
// attribute file at path, parsing it independently of ReadAttributes.
func maleCount(t *testing.T, path string, n int) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // count
	sc.Scan()
	col := slices.Index(strings.Fields(sc.Text()), "Male")
	if col < 0 {
		t.Fatal("no Male column")
	}
	count, rows := 0, 0
	for rows < n && sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		rows++
		if fields[1+col] == "1" {
			count++
		}
	}
	if rows != n {
		t.Fatalf("attribute file has %d rows, want at least %d", rows, n)
	}
	return count
}

func TestCelebAReal(t *testing.T) {
	dir := realCelebADir(t)
	m, err := OpenCelebA(dir, CelebAOptions{ImageOptions: ImageOptions{Range: RangeSigned}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if m.Len() != 1000 || !slices.Equal(m.Shape(), []int{3, 64, 64}) {
		t.Fatalf("Len %d, Shape %v, want 1000, [3 64 64]", m.Len(), m.Shape())
	}
	if m.Name(0) != "000001.jpg" || m.Name(999) != "001000.jpg" {
		t.Errorf("names %s ... %s", m.Name(0), m.Name(999))
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	dst := make([]float32, 3*64*64)
	for i := range m.Len() {
		m.Example(i, dst)
		for _, v := range dst {
			lo, hi = min(lo, float64(v)), max(hi, float64(v))
		}
	}
	if lo < -1 || hi > 1 || lo > -0.9 || hi < 0.9 {
		t.Errorf("pixels span [%v, %v], want a wide part of [-1, 1]", lo, hi)
	}

	// The Male filter agrees with the attribute file.
	men := maleCount(t, filepath.Join(dir, CelebAAttrFile), 1000)
	male, err := OpenCelebA(dir, CelebAOptions{ImageOptions: ImageOptions{Size: 8}, Attr: AttrFilter{"Male": 1}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	female, err := OpenCelebA(dir, CelebAOptions{ImageOptions: ImageOptions{Size: 8}, Attr: AttrFilter{"Male": -1}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if male.Len() != men || female.Len() != 1000-men || men == 0 {
		t.Errorf("Male=1 kept %d and Male=-1 %d of the first 1,000, the attribute file has %d men", male.Len(), female.Len(), men)
	}
	t.Logf("%d men among the first 1,000 images", men)

	// The first image: its mean in [0, 1] is that of the face box of the
	// JPEG decoded here directly.
	u, err := OpenCelebA(dir, CelebAOptions{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	ex := example(u, 0)
	var sum float64
	for _, v := range ex {
		sum += float64(v)
	}
	mean := sum / float64(len(ex))
	f, err := os.Open(filepath.Join(dir, CelebAImages, "000001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	box := image.Rect(9, 19, 80, 90) // CelebACrop on 89x109, rounded outwards
	var ref float64
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			ref += float64(r+g+b) / 3 / 0xffff
		}
	}
	ref /= float64(box.Dx() * box.Dy())
	if mean < 0.15 || mean > 0.85 || math.Abs(mean-ref) > 0.02 {
		t.Errorf("000001.jpg: mean pixel %.4f, face box of the decoded JPEG %.4f", mean, ref)
	}
	t.Logf("000001.jpg: mean pixel %.4f (direct %.4f)", mean, ref)
}

func TestCelebAFullResolution(t *testing.T) {
	dir := realCelebADir(t)
	const half, full = CelebAImages, CelebAImages + "_178x218"
	if _, err := os.Stat(filepath.Join(dir, full)); err != nil {
		t.Skipf("no %s: %v", full, err)
	}
	a, err := OpenCelebA(dir, CelebAOptions{Images: full})
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenCelebA(dir, CelebAOptions{Images: half, Limit: a.Len()})
	if err != nil {
		t.Fatal(err)
	}
	// The face box scales with the image: the 89x109 copies give nearly
	// the same 64x64 faces as the originals.
	var diff float64
	for i := range a.Len() {
		if a.Name(i) != b.Name(i) {
			t.Fatalf("image %d: %s and %s", i, a.Name(i), b.Name(i))
		}
		pa, pb := a.Pixels(i), b.Pixels(i)
		for k := range pa {
			diff += math.Abs(float64(pa[k]) - float64(pb[k]))
		}
	}
	diff /= 255 * float64(a.Len()*3*64*64)
	if a.Len() != 32 || diff > 0.03 {
		t.Errorf("%d images, mean |full - half| = %.4f, want 32 and at most 0.03", a.Len(), diff)
	}
	t.Logf("mean |178x218 - 89x109| after crop and resize: %.4f", diff)
}

func TestCelebARealShuffleBatcher(t *testing.T) {
	dir := realCelebADir(t)
	m, err := OpenCelebA(dir, CelebAOptions{Limit: 200, ImageOptions: ImageOptions{Range: RangeSigned}})
	if err != nil {
		t.Fatal(err)
	}
	const batch = 64
	b, err := NewShuffleBatcher(m, batch, 1)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, batch*3*64*64)
	for i := range dst {
		dst[i] = 9
	}
	for range 4 {
		if err := b.Next(dst); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range dst {
		if v < -1 || v > 1 {
			t.Fatalf("batch value %d = %v, outside [-1, 1]", i, v)
		}
	}
	state, err := b.State()
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, len(dst))
	if err := b.Next(want); err != nil {
		t.Fatal(err)
	}
	c, _ := NewShuffleBatcher(m, batch, 1)
	if err := c.Restore(state); err != nil {
		t.Fatal(err)
	}
	if err := c.Next(dst); err != nil || !slices.Equal(dst, want) {
		t.Fatalf("restored batcher: %v, same batch %v", err, slices.Equal(dst, want))
	}
}

// BenchmarkOpenCelebA opens all the 89x109 images at 64x64. Besides
// images/s (wall clock, all CPUs), it reports the CPU time an image takes,
// which depends less on what else runs on the machine.
func BenchmarkOpenCelebA(b *testing.B) {
	dir := realCelebADir(b)
	n := 0
	cpu0 := cpuTime()
	for b.Loop() {
		m, err := OpenCelebA(dir, CelebAOptions{ImageOptions: ImageOptions{Warn: io.Discard}})
		if err != nil {
			b.Fatal(err)
		}
		n += m.Len()
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "images/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()*1e6/float64(n), "cpu-µs/image")
	}
}
