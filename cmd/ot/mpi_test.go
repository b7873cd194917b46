package main

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"otgen/dist/mpitest"
)

// These tests run this command, built with the mpi tag, under mpirun with
// 2 ranks (OpenMPI on this machine), against the same binary run as one
// process (no launcher: one rank), for the same seed.

// mpiOT builds cmd/ot with the mpi tag (once per test binary).
func mpiOT(t *testing.T) string {
	t.Helper()
	mpitest.Mpirun(t)
	return mpitest.Build(t, "otgen/cmd/ot", false)
}

// otOne runs the binary as one process and fails t unless it succeeds.
func otOne(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ot %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// otRanks runs the binary on np ranks and fails t unless the job succeeds.
func otRanks(t *testing.T, np int, bin string, args ...string) string {
	t.Helper()
	out, err := mpitest.Run(t, mpitest.Job{Ranks: np}, bin, args...)
	if err != nil {
		t.Fatalf("mpirun -np %d ot %s: %v\n%s", np, strings.Join(args, " "), err, out)
	}
	return out
}

// list returns the names in dir, sorted.
func list(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// TestMPIColourTransfer: colour transfer on 2 ranks writes the images of
// one process, up to the order of the float sums (no channel more than one
// level off), and rank 1 writes nothing: on small generated images (both
// directions and the comparison figure, pixels drawn in several pairs),
// and on the shared 1600x1000 photos (few pairs, most pixels extended).
func TestMPIColourTransfer(t *testing.T) {
	bin := mpiOT(t)
	in := t.TempDir()
	t.Run("generated", func(t *testing.T) {
		src := writePNG(t, in, "src.png", bandImage(41, 48, 36, cool))
		tgt := writePNG(t, in, "tgt.png", bandImage(42, 40, 30, warm))
		colourOnRanks(t, bin, []string{"colour-transfer", "--source", src, "--target", tgt, "--m", "60", "--draws", "3", "--seed", "7",
			"--compare-m", "10,100", "--compare-size", "32", "--compare-draws", "2"},
			"k=87 pairs on 2 ranks", []string{"out-compare.png", "out-reverse.png", "out.png"})
	})
	t.Run("photos", func(t *testing.T) {
		root := os.Getenv("OTGEN_DATA")
		if root == "" {
			t.Skip("OTGEN_DATA not set: the photo case needs $OTGEN_DATA/photos")
		}
		src := filepath.Join(root, "photos", "evening_glow_sunset.jpg")
		tgt := filepath.Join(root, "photos", "path_green_forest.jpg")
		colourOnRanks(t, bin, []string{"colour-transfer", "--source", src, "--target", tgt, "--m", "1000", "--k", "16",
			"--reverse=false", "--compare-m", ""}, "k=16 pairs on 2 ranks", []string{"out.png"})
	})
}

// colourOnRanks runs colour-transfer args as one process and on 2 ranks,
// checks the 2-rank log for want, that the 2-rank job wrote exactly files,
// and that each is one process's image, no channel more than one level
// off.
func colourOnRanks(t *testing.T, bin string, args []string, want string, files []string) {
	t.Helper()
	one, two := t.TempDir(), t.TempDir()
	otOne(t, bin, append(args, "--out", filepath.Join(one, "out.png"))...)
	log := otRanks(t, 2, bin, append(args, "--out", filepath.Join(two, "out.png"))...)
	if !strings.Contains(log, want) {
		t.Errorf("the 2-rank job does not report %q:\n%s", want, log)
	}
	if got := list(t, two); !slices.Equal(got, files) {
		t.Fatalf("the 2-rank job wrote %v, want %v", got, files)
	}
	for _, name := range files {
		a, b := readPNG(t, filepath.Join(one, name)), readPNG(t, filepath.Join(two, name))
		if a.Bounds() != b.Bounds() {
			t.Fatalf("%s: %v on one process, %v on 2 ranks", name, a.Bounds(), b.Bounds())
		}
		differ := 0
		for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
			for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
				r1, g1, b1, _ := a.At(x, y).RGBA()
				r2, g2, b2, _ := b.At(x, y).RGBA()
				for _, d := range []float64{float64(r1) - float64(r2), float64(g1) - float64(g2), float64(b1) - float64(b2)} {
					if math.Abs(d)/257 > 1 {
						t.Fatalf("%s: pixel (%d, %d) differs by %.0f levels between one process and 2 ranks", name, x, y, math.Abs(d)/257)
					}
					if d != 0 {
						differ++
					}
				}
			}
		}
		t.Logf("%s: %d channel values one level apart between one process and 2 ranks", name, differ)
	}
}

// TestMPIFlow: the flow on 2 ranks (a 2-D toy, and small images) has the
// losses of one process, up to the order of the float sums.
func TestMPIFlow(t *testing.T) {
	bin := mpiOT(t)
	src, tgt := imageFolder(t, "src", 24, cool), imageFolder(t, "tgt", 30, warm)
	cases := map[string][]string{
		"toy":    {"flow", "--toy", "8gaussians", "--n", "200", "--m", "20", "--k", "13", "--steps", "15", "--lr", "0.05", "--every", "5"},
		"images": {"flow", "--source", src, "--target", tgt, "--size", "8", "--m", "8", "--k", "5", "--steps", "6", "--every", "3", "--show", "6"},
	}
	for _, name := range []string{"toy", "images"} {
		t.Run(name, func(t *testing.T) {
			one, two := filepath.Join(t.TempDir(), "flow"), filepath.Join(t.TempDir(), "flow")
			otOne(t, bin, append(cases[name], "--out", one)...)
			log := otRanks(t, 2, bin, append(cases[name], "--out", two)...)
			if !strings.Contains(log, "on 2 ranks") {
				t.Errorf("the 2-rank job does not say it runs on 2 ranks:\n%s", log)
			}
			if a, b := list(t, one), list(t, two); !slices.Equal(a, b) {
				t.Fatalf("one process wrote %v, 2 ranks %v", a, b)
			}
			a, b := readLosses(t, filepath.Join(one, "loss.csv")), readLosses(t, filepath.Join(two, "loss.csv"))
			if len(a) != len(b) || len(a) < 2 {
				t.Fatalf("%d losses on one process, %d on 2 ranks", len(a), len(b))
			}
			for s := range a {
				if math.Abs(a[s]-b[s]) > 1e-9*math.Abs(a[s]) {
					t.Fatalf("step %d: loss %v on one process, %v on 2 ranks", s, a[s], b[s])
				}
			}
			if a[len(a)-1] >= a[0] {
				t.Errorf("the flow did not lower the loss: %v -> %v", a[0], a[len(a)-1])
			}
		})
	}
}

// TestMPIRankInputError: a rank that cannot read its input fails the job
// with that rank's message, reported once, and no file is written.
func TestMPIRankInputError(t *testing.T) {
	bin := mpiOT(t)
	in := t.TempDir()
	src := writePNG(t, in, "src.png", bandImage(43, 20, 20, cool))
	tgt := writePNG(t, in, "tgt.png", bandImage(44, 20, 20, warm))
	out := t.TempDir()
	args := func(source string) []string {
		return []string{bin, "colour-transfer", "--source", source, "--target", tgt, "--m", "50", "--out", filepath.Join(out, "out.png")}
	}
	log, err := mpitest.RunMPMD(t, mpitest.Job{}, args(src), args(filepath.Join(in, "missing.png")))
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("a job whose rank 1 lacks its image ended with %v, want a non-zero exit:\n%s", err, log)
	}
	if n := strings.Count(log, "rank 1: --source"); n != 1 || !strings.Contains(log, "missing.png") {
		t.Fatalf("want rank 1's message once, naming the file:\n%s", log)
	}
	if got := list(t, out); len(got) != 0 {
		t.Fatalf("the failed job wrote %v", got)
	}
}
