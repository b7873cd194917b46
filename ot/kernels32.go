package ot

import "math"

// The float32 kernels of the online solver, in base 2: a block of the
// reduction is t_j = h_j + c·s_j, where s_j is an inner product <x, y_j>
// (pre-scaled, c = 1, or raw from otgen/sgemm, c = 2 log2(e)/eps) and h_j
// holds the column terms; the kernels return sums of 2^(t_j - shift). The
// assembly versions (kernels32_amd64.s) compute the same with AVX-512 or
// AVX2 and FMA; goKernels is their reference and the fallback.
type kernels32 struct {
	name string
	// dot sets t[j] = sum_k x[k] y_jk for j < len(t), a multiple of 16,
	// with the points y_j in panels of 16 (coordinate k of point j at
	// (j/16)·16d + 16k + j%16, d = len(x)).
	dot func(t, x, panel []float32)
	// lseDot is dot into t followed by expSumMax(t, h, 1, shift) over
	// len(h) columns; the assembly versions fuse them and leave t alone.
	lseDot func(t, x, panel, h []float32, shift float32) (float32, float32)
	// wsum adds to lanes[16k + l] the sum over the panels q of
	// e[16q + l] y_{16q+l, k}, for len(e) a multiple of 16 and
	// d = len(lanes)/16: summing the 16 lanes of coordinate k gives
	// sum_j e_j y_jk.
	wsum func(lanes, e, panel []float32)
	// expSumMax returns sum_j 2^(h[j] + c t[j] - shift) and the largest
	// h[j] + c t[j], for j < len(t) (a multiple of 16, len(h) >= len(t)).
	// Exponents below -126 count as 0 (h = -3e38 marks an absent column).
	expSumMax func(t, h []float32, c, shift float32) (float32, float32)
	// expStore sets dst[j] = 2^(h[j] + c t[j] - shift) and returns their
	// sum.
	expStore func(dst, t, h []float32, c, shift float32) float32
}

// absent is the column term h of a column of zero weight (or padding):
// 2^(absent + anything finite) is 0.
const absent = -3e38

// kern32 are the kernels of the online solver: the fastest that the CPU
// runs (chosen once, at start-up; see kernels32_amd64.go).
var kern32 = bestKernels()

// goKernels are the kernels in plain Go.
var goKernels = kernels32{name: "go", dot: dotGo, lseDot: lseDotGo, wsum: wsumGo, expSumMax: expSumMaxGo, expStore: expStoreGo}

func lseDotGo(t, x, panel, h []float32, shift float32) (float32, float32) {
	t = t[:len(h)]
	dotGo(t, x, panel)
	return expSumMaxGo(t, h, 1, shift)
}

func dotGo(t, x, panel []float32) {
	d := len(x)
	for q := 0; q < len(t)/16; q++ {
		p := panel[q*16*d : (q+1)*16*d]
		out := t[16*q : 16*q+16]
		clear(out)
		for k, xk := range x {
			for l, y := range p[16*k : 16*k+16] {
				out[l] += xk * y
			}
		}
	}
}

func wsumGo(lanes, e, panel []float32) {
	d := len(lanes) / 16
	for q := 0; q < len(e)/16; q++ {
		p := panel[q*16*d : (q+1)*16*d]
		eq := e[16*q : 16*q+16]
		for k := 0; k < d; k++ {
			acc := lanes[16*k : 16*k+16]
			for l, y := range p[16*k : 16*k+16] {
				acc[l] += eq[l] * y
			}
		}
	}
}

// exp2f32 is 2^v in float32 precision (0 below -126).
func exp2f32(v float32) float32 {
	if v < -126 {
		return 0
	}
	return float32(math.Exp2(float64(v)))
}

func expSumMaxGo(t, h []float32, c, shift float32) (float32, float32) {
	s, mx := float32(0), float32(math.Inf(-1))
	h = h[:len(t)]
	for j, v := range t {
		u := h[j] + c*v
		mx = max(mx, u)
		s += exp2f32(u - shift)
	}
	return s, mx
}

func expStoreGo(dst, t, h []float32, c, shift float32) float32 {
	s := float32(0)
	h = h[:len(t)]
	dst = dst[:len(t)]
	for j, v := range t {
		e := exp2f32(h[j] + c*v - shift)
		dst[j] = e
		s += e
	}
	return s
}
