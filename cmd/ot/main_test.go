package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"otgen/colour"
)

// writePNG saves img as a PNG file in dir and returns its path.
func writePNG(t *testing.T, dir, name string, img image.Image) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// bandImage draws a w×h image of horizontal colour bands from pal, with
// noise, so that it has a palette and some structure.
func bandImage(seed uint64, w, h int, pal [][3]float64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		base := pal[y*len(pal)/h]
		for x := 0; x < w; x++ {
			var c [3]uint8
			for k := range 3 {
				c[k] = uint8(max(0, min(255, math.Round(base[k]+10*rng.NormFloat64()))))
			}
			img.SetNRGBA(x, y, color.NRGBA{R: c[0], G: c[1], B: c[2], A: 255})
		}
	}
	return img
}

var (
	cool = [][3]float64{{20, 40, 120}, {30, 120, 60}, {60, 160, 200}}
	warm = [][3]float64{{230, 120, 30}, {250, 220, 80}, {160, 30, 20}}
)

func runOT(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestColourTransferCommand(t *testing.T) {
	dir := t.TempDir()
	src := writePNG(t, dir, "src.png", bandImage(1, 40, 30, cool))
	tgt := writePNG(t, dir, "tgt.png", bandImage(2, 36, 25, warm))
	out := filepath.Join(dir, "out.png")
	stdout, stderr, err := runOT(t, "colour-transfer", "--source", src, "--target", tgt, "--out", out,
		"--m", "100", "--compare-m", "10,100", "--compare-size", "30", "--compare-draws", "3")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, f := range []string{out, filepath.Join(dir, "out-reverse.png"), filepath.Join(dir, "out-compare.png")} {
		if !strings.Contains(stdout, "wrote "+f) {
			t.Errorf("stdout does not report %s:\n%s", f, stdout)
		}
	}
	res := readPNG(t, out)
	if res.Bounds().Size() != image.Pt(40, 30) {
		t.Errorf("recoloured source is %v, want the source's 40x30", res.Bounds().Size())
	}
	rev := readPNG(t, filepath.Join(dir, "out-reverse.png"))
	if rev.Bounds().Size() != image.Pt(36, 25) {
		t.Errorf("recoloured target is %v, want the target's 36x25", rev.Bounds().Size())
	}
	srcImg, tgtImg := readPNG(t, src), readPNG(t, tgt)
	for _, c := range []struct {
		name              string
		out, from, palett image.Image
	}{{"forward", res, srcImg, tgtImg}, {"reverse", rev, tgtImg, srcImg}} {
		before, err := colour.PaletteDistance(c.from, c.palett, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		after, err := colour.PaletteDistance(c.out, c.palett, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if after > 0.2*before {
			t.Errorf("%s: palette distance %.4f after, %.4f before: want below a fifth", c.name, after, before)
		}
	}
	// The figure: two rows (both directions) of input, palette and the
	// two m, each panel 30 pixels wide or wider with its caption.
	fig := readPNG(t, filepath.Join(dir, "out-compare.png")).Bounds()
	if fig.Dx() < 4*30 || fig.Dy() < 2*(20+20) {
		t.Errorf("comparison figure is only %v", fig.Size())
	}
	if !strings.Contains(stderr, "palette SW2 to the target") {
		t.Errorf("stderr lacks the measured palette distances:\n%s", stderr)
	}
}

func TestColourTransferCommandErrors(t *testing.T) {
	dir := t.TempDir()
	src := writePNG(t, dir, "src.png", bandImage(1, 20, 10, cool))
	tgt := writePNG(t, dir, "tgt.png", bandImage(2, 20, 10, warm))
	junk := filepath.Join(dir, "junk.jpg")
	if err := os.WriteFile(junk, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.png")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--source", junk, "--target", tgt}, "--source: data: image " + junk + ": not a JPEG or PNG image"},
		{[]string{"--source", src, "--target", filepath.Join(dir, "missing.png")}, "no such file"},
		{[]string{"--source", src, "--target", tgt, "--m", "500"}, "minibatch size m = 500, want 1 <= m <= 200"},
		{[]string{"--source", src, "--target", tgt, "--m", "10", "--method", "sinkhorn", "--eps", "0"}, "needs a finite eps > 0"},
		{[]string{"--source", src, "--target", tgt, "--m", "10", "--compare-m", "10,x"}, "flag -compare-m"},
		{[]string{"--source", src}, "--source and --target are required"},
		{[]string{"--source", src, "--target", tgt, "--m", "10", "--compare-m", "1000"}, "comparison figure"},
	} {
		_, _, err := runOT(t, append([]string{"colour-transfer", "--out", out}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
	if _, _, err := runOT(t, "colour-shift"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: %v", err)
	}
}

// The real 1600x1000 photos: a megapixel source keeps its size and takes
// the target's palette, here with few pairs so that most pixels go through
// the nearest-colour extension (the full run is the benchmark's job).
func TestColourTransferPhotos(t *testing.T) {
	root := os.Getenv("OTGEN_DATA")
	if root == "" {
		t.Skip("OTGEN_DATA not set: the photo test needs $OTGEN_DATA/photos")
	}
	src := filepath.Join(root, "photos", "evening_glow_sunset.jpg")
	tgt := filepath.Join(root, "photos", "path_green_forest.jpg")
	out := filepath.Join(t.TempDir(), "sunset.png")
	_, stderr, err := runOT(t, "colour-transfer", "--source", src, "--target", tgt, "--out", out,
		"--m", "1000", "--k", "16", "--reverse=false", "--compare-m", "")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	res := readPNG(t, out)
	if res.Bounds().Size() != image.Pt(1600, 1000) {
		t.Fatalf("output %v, want 1600x1000", res.Bounds().Size())
	}
	srcImg, err := loadImage("source", src)
	if err != nil {
		t.Fatal(err)
	}
	tgtImg, err := loadImage("target", tgt)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := colour.PaletteDistance(srcImg, tgtImg, 50_000, 1)
	after, _ := colour.PaletteDistance(res, tgtImg, 50_000, 1)
	t.Logf("palette SW2 to the forest: %.4f before, %.4f after", before, after)
	if after > 0.2*before {
		t.Errorf("palette distance %.4f after, %.4f before: want below a fifth", after, before)
	}
	if !strings.Contains(stderr, "16000 pixels drawn, 1584000 extended") {
		t.Errorf("stderr does not report 16000 drawn pixels:\n%s", stderr)
	}
}

// readLosses reads loss.csv.
func readLosses(t *testing.T, path string) []float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	for _, r := range recs[1:] {
		v, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// windowMeans splits v into w equal windows and returns their means.
func windowMeans(v []float64, w int) []float64 {
	size := len(v) / w
	var out []float64
	for i := 0; i < w; i++ {
		s := 0.0
		for _, x := range v[i*size : (i+1)*size] {
			s += x
		}
		out = append(out, s/float64(size))
	}
	return out
}

func TestFlowToyCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "toy")
	stdout, stderr, err := runOT(t, "flow", "--toy", "8gaussians", "--n", "300", "--m", "50", "--steps", "40", "--lr", "0.02", "--every", "10", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, f := range []string{"step_0000.png", "step_0010.png", "step_0040.png", "loss.png", "loss.csv"} {
		if !strings.Contains(stdout, "wrote "+filepath.Join(out, f)) {
			t.Errorf("%s not written:\n%s", f, stdout)
		}
	}
	losses := readLosses(t, filepath.Join(out, "loss.csv"))
	if len(losses) != 41 {
		t.Fatalf("%d losses, want 41", len(losses))
	}
	means := windowMeans(losses, 4)
	t.Logf("loss window means %.4f", means)
	for i := 1; i < len(means); i++ {
		if means[i] >= means[i-1] {
			t.Errorf("loss window %d mean %.4f not below the previous %.4f", i, means[i], means[i-1])
		}
	}
	snap := readPNG(t, filepath.Join(out, "step_0040.png"))
	if snap.Bounds().Dx() < 100 {
		t.Errorf("snapshot is %v", snap.Bounds().Size())
	}
}

// imageFolder writes n small PNG images of a palette into a new folder.
func imageFolder(t *testing.T, name string, n int, pal [][3]float64) string {
	dir := filepath.Join(t.TempDir(), name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		writePNG(t, dir, fmt.Sprintf("%03d.png", i), bandImage(uint64(i), 12, 12, pal))
	}
	return dir
}

func TestFlowImageCommand(t *testing.T) {
	src := imageFolder(t, "src", 24, cool)
	tgt := imageFolder(t, "tgt", 30, warm)
	out := filepath.Join(t.TempDir(), "flow")
	stdout, stderr, err := runOT(t, "flow", "--source", src, "--target", tgt, "--size", "8", "--m", "8", "--steps", "12", "--every", "4", "--show", "6", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, f := range []string{"step_0000.png", "step_0012.png", "target.png", "flow.png", "loss.csv"} {
		if !strings.Contains(stdout, "wrote "+filepath.Join(out, f)) {
			t.Errorf("%s not written:\n%s", f, stdout)
		}
	}
	if !strings.Contains(stderr, "24 particles to 30 targets of dimension 192, m=8, k=3") {
		t.Errorf("stderr does not report the set-up:\n%s", stderr)
	}
	losses := readLosses(t, filepath.Join(out, "loss.csv"))
	if losses[len(losses)-1] > 0.5*losses[0] {
		t.Errorf("loss %.4g -> %.4g: want at least halved", losses[0], losses[len(losses)-1])
	}
	// A grid of 6 images of 8x8 in 8 columns: one row of 6.
	grid := readPNG(t, filepath.Join(out, "step_0012.png")).Bounds()
	if grid.Size() != image.Pt(6*10+2, 10+2) {
		t.Errorf("snapshot grid %v, want 62x12", grid.Size())
	}
}

func TestFlowCommandErrors(t *testing.T) {
	src := imageFolder(t, "src", 5, cool)
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	junkDir := imageFolder(t, "junk", 3, warm)
	if err := os.WriteFile(filepath.Join(junkDir, "bad.png"), []byte("no png"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "o")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--source", src, "--target", empty}, "target images: data: image folder"},
		{[]string{"--source", src, "--target", junkDir}, "corrupt image"},
		{[]string{"--source", src, "--target", src, "--m", "6"}, "--m 6, want 1 <= m <= 5"},
		{[]string{"--source", src, "--target", src, "--n", "10"}, "--n 10 but"},
		{[]string{"--source", src}, "give --source DIR and --target DIR"},
		{[]string{"--toy", "8gaussians", "--source", src}, "exclude each other"},
		{[]string{"--toy", "circles"}, "unknown toy"},
		{[]string{"--source", src, "--target", src, "--attr", "Male=2"}, "--attr"},
		{[]string{"--source", src, "--target", src, "--attr", "Male=1"}, "pass --attr-file"},
		{[]string{"--toy", "8gaussians", "--lr", "-1"}, "learning rate"},
	} {
		_, _, err := runOT(t, append([]string{"flow", "--out", out, "--size", "8"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

// The CelebA flow of the issue: men to women, selected by the Male
// attribute, lowers the loss.
func TestFlowCelebAMaleToFemale(t *testing.T) {
	root := os.Getenv("OTGEN_DATA")
	if root == "" {
		t.Skip("OTGEN_DATA not set: the CelebA flow test needs $OTGEN_DATA/celeba")
	}
	dir := filepath.Join(root, "celeba", "img_align_celeba")
	out := filepath.Join(t.TempDir(), "faces")
	_, stderr, err := runOT(t, "flow", "--source", dir, "--attr", "Male=1", "--target", dir, "--target-attr", "Male=-1",
		"--size", "16", "--n", "60", "--m", "20", "--steps", "8", "--every", "4", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	losses := readLosses(t, filepath.Join(out, "loss.csv"))
	t.Logf("losses %.4g", losses)
	if losses[len(losses)-1] > 0.8*losses[0] {
		t.Errorf("loss %.4g -> %.4g: want a clear decrease", losses[0], losses[len(losses)-1])
	}
	if !strings.Contains(stderr, "60 particles to 60 targets of dimension 768") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// Every plan of the figure has marginals 1/n: exactly (to rounding) for
// the minibatch plans, whose m all divide n, and to Sinkhorn's tolerance
// for the entropic ones; m = n is the exact (monotone) plan.
func TestPlansMarginals(t *testing.T) {
	c := plansConfig{n: 20, ms: []int{1, 2, 5, 10, 20}, eps: []float64{0.01, 0.1, 1}, epochs: 5000, seed: 3}
	mb, ent, err := c.compute(func(int, int) {})
	if err != nil {
		t.Fatal(err)
	}
	if len(mb) != 5 || len(ent) != 3 {
		t.Fatalf("%d minibatch and %d entropic plans", len(mb), len(ent))
	}
	for _, p := range mb {
		if e := marginalError(p.plan); e > 1e-14 {
			t.Errorf("%s: marginal error %.3g", p.title, e)
		}
	}
	for _, p := range ent {
		if e := marginalError(p.plan); e > 1e-8 {
			t.Errorf("%s: marginal error %.3g", p.title, e)
		}
	}
	// Sorted points: the exact plan (m = n) is the identity / n.
	full := mb[4].plan
	for i := 0; i < 20; i++ {
		for j := 0; j < 20; j++ {
			want := 0.0
			if i == j {
				want = 1.0 / 20
			}
			if math.Abs(full.At(i, j)-want) > 1e-12 { // 5000 pairs summed
				t.Fatalf("m = n plan [%d,%d] = %v, want %v", i, j, full.At(i, j), want)
			}
		}
	}
	// m = 1 pairs points independently: every entry near 1/n² (each of
	// the 400 cells is hit about 250 times in the 100,000 pairs, a
	// relative standard deviation of about 6%).
	var dev float64
	for _, v := range mb[0].plan.RawMatrix().Data {
		dev += (v - 1.0/400) * (v - 1.0/400)
	}
	if rel := math.Sqrt(dev/400) * 400; rel > 0.1 {
		t.Errorf("m = 1 plan entries deviate from 1/400 by %.1f%% (rms), want the independent coupling", 100*rel)
	}
	// A larger m moves mass to the diagonal.
	prev := 0.0
	for _, p := range mb {
		tr := mat.Trace(p.plan)
		if tr <= prev {
			t.Errorf("%s: mass on the diagonal %.4f, not above the smaller m's %.4f", p.title, tr, prev)
		}
		prev = tr
	}
}

func TestPlansCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "plans.png")
	stdout, stderr, err := runOT(t, "plans", "--n", "12", "--m", "1,3,12", "--eps", "0.1", "--epochs", "100", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "wrote "+out) {
		t.Errorf("stdout: %s", stdout)
	}
	fig := readPNG(t, out).Bounds()
	if fig.Dx() < 3*300 || fig.Dy() < 2*300 {
		t.Errorf("figure %v, want two rows, three panels wide", fig.Size())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--n", "10", "--m", "11"}, "--m 11 larger than the 10 points"},
		{[]string{"--m", "0"}, "flag -m"},
		{[]string{"--eps", "-1"}, "--eps"},
		{[]string{"--n", "1"}, "--n 1"},
	} {
		if _, _, err := runOT(t, append([]string{"plans", "--out", out}, c.args...)...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}
