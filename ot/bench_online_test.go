package ot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"time"
)

// The OTT protocol (the comparison of OTT-JAX with POT, Cuturi et al.
// 2022, as in OTT's "OTT & POT" notebook): d = 6, x_i ~ U[0,1]^6,
// y_j ~ U[0,1]^6 + 0.1, weights a, b ~ U[0,1] normalised to 1, squared
// Euclidean cost, eps = 0.01 × mean(C) (the mean of all n² entries), stop
// when the L2 norm of the marginal error is below 0.01 / n^0.33. The peer
// is tools/peers/pot_ott.py (POT's ot.sinkhorn, methods sinkhorn_log and
// sinkhorn, on the same float32 clouds): with $OTGEN_OTT_CLOUDS set, both
// read the clouds it wrote there ({n}.bin); otherwise the clouds are drawn
// here from the same distribution.

// cpuSeconds is the user plus system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// ottProblem holds one instance of the protocol.
type ottProblem struct {
	X, Y     Points32
	a, b     []float64
	eps, tol float64
}

func ottInstance(tb testing.TB, n int) ottProblem {
	const d = 6
	p := ottProblem{
		X: Points32{N: n, D: d, Data: make([]float32, n*d)},
		Y: Points32{N: n, D: d, Data: make([]float32, n*d)},
		a: make([]float64, n), b: make([]float64, n),
	}
	if dir := os.Getenv("OTGEN_OTT_CLOUDS"); dir != "" {
		// x, y as float32 (n×6 each), then a, b as float64, little-endian.
		raw, err := os.ReadFile(fmt.Sprintf("%s/%d.bin", dir, n))
		if err != nil || len(raw) != 2*4*n*d+2*8*n {
			tb.Fatalf("OTT clouds: %v (%d bytes)", err, len(raw))
		}
		for i := range p.X.Data {
			p.X.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			p.Y.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(n*d+i):]))
		}
		off := 8 * n * d
		for i := range p.a {
			p.a[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[off+8*i:]))
			p.b[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[off+8*(n+i):]))
		}
	} else {
		rng := rand.New(rand.NewPCG(uint64(n), 6))
		for i := range p.X.Data {
			p.X.Data[i] = float32(rng.Float64())
			p.Y.Data[i] = float32(rng.Float64() + 0.1)
		}
		for i := range p.a {
			p.a[i], p.b[i] = rng.Float64(), rng.Float64()
		}
		sa, sb := sum(p.a), sum(p.b)
		for i := range p.a {
			p.a[i] /= sa
			p.b[i] /= sb
		}
	}
	// mean(C) = mean |x|² + mean |y|² - 2 <mean x, mean y>, in float64.
	mx, my := make([]float64, d), make([]float64, d)
	nx, ny := 0.0, 0.0
	for i := 0; i < n; i++ {
		for k := 0; k < d; k++ {
			x, y := float64(p.X.Data[i*d+k]), float64(p.Y.Data[i*d+k])
			mx[k] += x / float64(n)
			my[k] += y / float64(n)
			nx += x * x / float64(n)
			ny += y * y / float64(n)
		}
	}
	mean := nx + ny
	for k := range mx {
		mean -= 2 * mx[k] * my[k]
	}
	p.eps = 0.01 * mean
	p.tol = 0.01 / math.Pow(float64(n), 0.33)
	return p
}

// BenchmarkOnlineOTT runs SinkhornOnline on the OTT protocol at n = 1,024,
// 4,096, 16,384 and 10^5 (the last about 110 CPU seconds; select the others
// with -bench 'OnlineOTT/n=(1024|4096|16384)$'). cpu-s/op is the process's
// CPU time per solve, a steadier measure than the wall clock on a shared
// machine.
func BenchmarkOnlineOTT(b *testing.B) {
	for _, n := range []int{1024, 4096, 16384, 100000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			p := ottInstance(b, n)
			o := &SinkhornOptions{Tol: p.tol, Norm: NormL2, MaxIter: 1000, Workers: benchWorkers}
			var res *SinkhornResult
			cpu0 := cpuSeconds()
			for b.Loop() {
				var err error
				res, err = SinkhornOnline(p.X, p.Y, p.a, p.b, p.eps, o)
				if err != nil && !errors.Is(err, ErrNotConverged) {
					b.Fatal(err)
				}
			}
			// CPU seconds: on a shared machine the wall clock says little.
			b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(res.Log.Iterations), "iters")
			b.ReportMetric(res.Log.MarginalError, "L2err")
			b.ReportMetric(res.Dual, "OTeps")
			b.ReportMetric(float64(n)*float64(n)*float64(2*res.Log.Iterations)/b.Elapsed().Seconds()*float64(b.N)/1e9, "Gentries/s")
		})
	}
}
