package eval_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"otgen/eval"
)

// FID between a sample and its translate by (3, 4) is the squared length
// of the translation, 25: the covariances are equal.
func ExampleFID() {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, d = 1000, 2
	real, fake := make([]float32, n*d), make([]float32, n*d)
	for i := 0; i < n; i++ {
		x, y := rng.NormFloat64(), rng.NormFloat64()
		real[2*i], real[2*i+1] = float32(x), float32(y)
		fake[2*i], fake[2*i+1] = float32(x+3), float32(y+4)
	}
	fid, err := eval.FID(real, fake, d)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("FID %.3f\n", fid)
	// Output: FID 25.000
}

// KID is unbiased: for two samples of one distribution it is 0 up to its
// spread over subsets; for a shifted sample it is clearly positive.
func ExampleKID() {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, d = 2000, 8
	draw := func(shift float64) []float32 {
		v := make([]float32, n*d)
		for i := range v {
			v[i] = float32(rng.NormFloat64() + shift)
		}
		return v
	}
	real, same, shifted := draw(0), draw(0), draw(0.5)
	opts := eval.KIDOptions{Subsets: 50, SubsetSize: 500, Seed: 1}
	m0, s0, err := eval.KID(real, same, d, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	m1, s1, err := eval.KID(real, shifted, d, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("same distribution, within 3 deviations of 0:", math.Abs(m0) < 3*s0)
	fmt.Println("shifted, more than 3 deviations above 0:", m1 > 3*s1)
	// Output:
	// same distribution, within 3 deviations of 0: true
	// shifted, more than 3 deviations above 0: true
}

// PyramidSWD compares images level by level of their Laplacian pyramids:
// a set against itself is at distance 0 on every level, and noise shows
// mostly on the finest level.
func ExamplePyramidSWD() {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, c, h, w = 200, 1, 32, 32
	// Smooth random images: sums of a few random waves.
	images := make([]float32, n*c*h*w)
	for i := 0; i < n; i++ {
		fx, fy, ph := 1+rng.Float64()*3, 1+rng.Float64()*3, rng.Float64()*2*math.Pi
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				images[i*h*w+y*w+x] = float32(math.Sin(fx*float64(x)/w*2*math.Pi+ph) * math.Cos(fy*float64(y)/h*2*math.Pi))
			}
		}
	}
	noisy := make([]float32, len(images))
	for i, v := range images {
		noisy[i] = v + float32(0.3*rng.NormFloat64())
	}
	opts := eval.SWDOptions{PatchesPerImage: 16, Directions: 128, Seed: 1}
	self, err := eval.PyramidSWD(images, images, c, h, w, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	swd, err := eval.PyramidSWD(images, noisy, c, h, w, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("levels (32×32, 16×16):", len(swd))
	fmt.Println("against itself:", self)
	fmt.Println("noise shows most on the finest level:", swd[0] > swd[1] && swd[1] > 0)
	// Output:
	// levels (32×32, 16×16): 2
	// against itself: [0 0]
	// noise shows most on the finest level: true
}
