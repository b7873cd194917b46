package flow

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"otgen/data"
)

// faces holds the CelebA men and women of $OTGEN_DATA at 64x64, loaded once
// per test binary: all 4,217 men and the first 5,000 women, the
// experiment of Fatras et al. (2020, section 5) as far as the 10,000
// faces of the shared data allow (the paper moves 5,000 men to 5,000
// women).
var faces struct {
	once       sync.Once
	men, women *mat.Dense
	err        error
}

func loadFaces(b *testing.B) (*mat.Dense, *mat.Dense) {
	root := os.Getenv("OTGEN_DATA")
	if root == "" {
		b.Skip("OTGEN_DATA is not set: the CelebA benchmark needs $OTGEN_DATA/celeba")
	}
	faces.once.Do(func() {
		load := func(male string, limit int) (*mat.Dense, error) {
			attr, err := data.ParseAttrFilter("Male=" + male)
			if err != nil {
				return nil, err
			}
			imgs, err := data.OpenCelebA(filepath.Join(root, "celeba"), data.CelebAOptions{Attr: attr})
			if err != nil {
				return nil, err
			}
			n := min(limit, imgs.Len())
			d := 3 * imgs.Size() * imgs.Size()
			X := mat.NewDense(n, d, nil)
			buf := make([]float32, d)
			for i := 0; i < n; i++ {
				imgs.Example(i, buf)
				row := X.RawRowView(i)
				for k, v := range buf {
					row[k] = float64(v)
				}
			}
			return X, nil
		}
		if faces.men, faces.err = load("1", 5000); faces.err == nil {
			faces.women, faces.err = load("-1", 5000)
		}
	})
	if faces.err != nil {
		b.Fatal(faces.err)
	}
	return faces.men, faces.women
}

// cpuSeconds is the user plus system CPU time of the process so far: on a
// shared machine it moves less than the wall clock.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkCelebAStep times one step of the CelebA men-to-women flow at
// 64x64 (d = 12,288): K = ceil(5000/m) pairs of m faces, exact OT per pair,
// the default of cmd/ot flow for these sets (k = 10 at the paper's m = 500).
// s/step is the time of one minibatch Wasserstein evaluation with its
// gradient plus the particle update, as each step of Run costs.
func BenchmarkCelebAStep(b *testing.B) {
	men, women := loadFaces(b)
	n, _ := men.Dims()
	nt, _ := women.Dims()
	for _, m := range []int{100, 500} {
		k := (max(n, nt) + m - 1) / m
		b.Run(fmt.Sprintf("m=%d/k=%d", m, k), func(b *testing.B) {
			X := mat.DenseCopyOf(men)
			steps := 0
			start, cpu0 := time.Now(), cpuSeconds()
			for b.Loop() {
				// Steps: 1 runs two evaluations (the step and the loss after it).
				if _, err := Run(X, women, Options{M: m, K: k, Steps: 1, LR: 0.1, Seed: uint64(steps), Lo: 0, Hi: 1}, nil); err != nil {
					b.Fatal(err)
				}
				steps += 2
			}
			b.ReportMetric(time.Since(start).Seconds()/float64(steps), "s/step")
			b.ReportMetric((cpuSeconds()-cpu0)/float64(steps), "cpu-s/step")
		})
	}
}
