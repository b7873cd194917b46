package eval

import (
	"math/rand/v2"
	"testing"
)

func randomRows(n, d int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// BenchmarkFID: 10,000 against 10,000 rows of 64 features (the MNIST
// classifier's feature size).
func BenchmarkFID(b *testing.B) {
	x, y := randomRows(10000, 64, 1), randomRows(10000, 64, 2)
	for b.Loop() {
		if _, err := FID(x, y, 64); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKID: 10,000 against 10,000 rows of 64 features, default options
// (100 subsets of 1,000).
func BenchmarkKID(b *testing.B) {
	x, y := randomRows(10000, 64, 1), randomRows(10000, 64, 2)
	for b.Loop() {
		if _, _, err := KID(x, y, 64, KIDOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPixelMMD: 1,000 against 1,000 MNIST-sized images.
func BenchmarkPixelMMD(b *testing.B) {
	x, y := randomRows(1000, 784, 1), randomRows(1000, 784, 2)
	for b.Loop() {
		if _, err := PixelMMD(x, y, 784); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPyramidSWDMNIST: 5,000 against 5,000 images of 1×28×28, default
// options (2 levels, 65,536 patches a level and side, 512 directions).
func BenchmarkPyramidSWDMNIST(b *testing.B) {
	x, y := randomRows(5000, 784, 1), randomRows(5000, 784, 2)
	for b.Loop() {
		if _, err := PyramidSWD(x, y, 1, 28, 28, SWDOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPyramidSWDCelebA: 2,000 against 2,000 images of 3×64×64, default
// options (3 levels, 65,536 patches a level and side, 512 directions).
func BenchmarkPyramidSWDCelebA(b *testing.B) {
	x, y := randomRows(2000, 3*64*64, 1), randomRows(2000, 3*64*64, 2)
	for b.Loop() {
		if _, err := PyramidSWD(x, y, 3, 64, 64, SWDOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
