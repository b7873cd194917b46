package ot

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Every assembly kernel the CPU runs agrees with the Go kernels: the dot
// products to float32 rounding, the exponential sums to 1e-6 relative
// (the polynomial's error is 2.3e-7), maxima exactly; absent columns count
// as 0 and exponents far below the shift underflow to 0 (AVX-512 keeps
// subnormal results down to 2^-149).
func TestKernels32MatchGo(t *testing.T) {
	ks := cpuKernels()
	if len(ks) == 0 {
		t.Log("no assembly kernels on this CPU: only the Go kernels run")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, k := range ks {
		for _, n := range []int{16, 48, 64, 80, 1024} {
			for _, d := range []int{1, 3, 6, 17} {
				x := make([]float32, d)
				panel := make([]float32, d*n)
				e := make([]float32, n)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				for i := range panel {
					panel[i] = float32(rng.NormFloat64())
				}
				for i := range e {
					e[i] = float32(rng.Float64())
				}
				want, got := make([]float32, n), make([]float32, n)
				goKernels.dot(want, x, panel)
				k.dot(got, x, panel)
				for j := range want {
					if math.Abs(float64(got[j]-want[j])) > 1e-5*(1+math.Abs(float64(want[j]))) {
						t.Fatalf("%s dot n=%d d=%d: [%d] = %v, want %v", k.name, n, d, j, got[j], want[j])
					}
				}
				hd := make([]float32, n)
				for j := range hd {
					hd[j] = float32(rng.NormFloat64())
				}
				for _, shift := range []float32{0, 3} {
					ws, wm := goKernels.lseDot(make([]float32, n), x, panel, hd, shift)
					gs, gm := k.lseDot(nil, x, panel, hd, shift)
					if !closeRel(gs, ws, 1e-5) || math.Abs(float64(gm-wm)) > 1e-5*(1+math.Abs(float64(wm))) {
						t.Fatalf("%s lseDot n=%d d=%d shift=%v: (%v, %v), want (%v, %v)", k.name, n, d, shift, gs, gm, ws, wm)
					}
				}
				wl, gl := make([]float32, 16*d), make([]float32, 16*d)
				for i := range wl {
					wl[i] = float32(i)
					gl[i] = float32(i)
				}
				goKernels.wsum(wl, e, panel)
				k.wsum(gl, e, panel)
				for j := range wl {
					if math.Abs(float64(gl[j]-wl[j])) > 1e-4*(1+math.Abs(float64(wl[j]))) {
						t.Fatalf("%s wsum n=%d d=%d: [%d] = %v, want %v", k.name, n, d, j, gl[j], wl[j])
					}
				}
			}
			h := make([]float32, n)
			tv := make([]float32, n)
			for j := range h {
				h[j] = float32(10 * rng.NormFloat64())
				tv[j] = float32(10 * rng.NormFloat64())
				if rng.IntN(5) == 0 {
					h[j] = absent
				}
			}
			h[n/2] = float32(5 + rng.Float64()) // at least one column present
			for _, c := range []float32{1, 0.5} {
				for _, shift := range []float32{0, 30, -20, 170} {
					ws, wm := goKernels.expSumMax(tv, h, c, shift)
					gs, gm := k.expSumMax(tv, h, c, shift)
					if gm != wm {
						t.Errorf("%s expSumMax n=%d c=%v shift=%v: max %v, want %v", k.name, n, c, shift, gm, wm)
					}
					if !closeRel(gs, ws, 1e-6) {
						t.Errorf("%s expSumMax n=%d c=%v shift=%v: sum %v, want %v", k.name, n, c, shift, gs, ws)
					}
					wd, gd := make([]float32, n), make([]float32, n)
					wsum := goKernels.expStore(wd, tv, h, c, shift)
					gsum := k.expStore(gd, tv, h, c, shift)
					if !closeRel(gsum, wsum, 1e-6) {
						t.Errorf("%s expStore n=%d shift=%v: sum %v, want %v", k.name, n, shift, gsum, wsum)
					}
					for j := range wd {
						if !closeRel(gd[j], wd[j], 1e-6) {
							t.Fatalf("%s expStore n=%d shift=%v: [%d] = %v, want %v (h %v t %v)", k.name, n, shift, j, gd[j], wd[j], h[j], tv[j])
						}
					}
				}
			}
			// All columns absent: sum 0, max below absent/2.
			for j := range h {
				h[j] = absent
			}
			if s, m := k.expSumMax(tv, h, 1, 0); s != 0 || m > absent/2 {
				t.Errorf("%s: all absent: sum %v, max %v", k.name, s, m)
			}
		}
	}
}

func closeRel(got, want float32, tol float64) bool {
	g, w := float64(got), float64(want)
	if math.IsInf(w, 0) || math.IsInf(g, 0) {
		return g == w
	}
	// Results below 2^-120 may differ: the AVX-512 kernels keep
	// subnormal results that the others flush to 0.
	return math.Abs(g-w) <= tol*math.Abs(w)+1e-36
}

// BenchmarkKernels32 times the kernels of the online solver on one block
// of 1024 columns, d = 6 (the OTT protocol's), per column.
func BenchmarkKernels32(b *testing.B) {
	for _, k := range append(cpuKernels(), goKernels) {
		n, d := 1024, 6
		x := make([]float32, d)
		panel := make([]float32, n*d)
		t := make([]float32, n)
		h := make([]float32, n)
		for i := range panel {
			panel[i] = float32(i%7) * 0.1
		}
		b.Run(k.name+"/dot", func(b *testing.B) {
			for b.Loop() {
				k.dot(t, x, panel)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
		})
		b.Run(k.name+"/lseDot", func(b *testing.B) {
			for b.Loop() {
				k.lseDot(t, x, panel, h, 0)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
		})
		b.Run(k.name+"/expSumMax", func(b *testing.B) {
			for b.Loop() {
				k.expSumMax(t, h, 1, 0)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
		})
	}
}
