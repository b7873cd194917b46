// Package vec holds element-wise float32 kernels that the compiler does not
// vectorise, each a Go loop and, where the CPU has it, a SIMD version in Go
// assembly that computes the same values bit for bit. (nn cannot hold Go
// assembly itself: its openblas build uses cgo.)
package vec

import "math"

// SlopeMul sets dst[i] = v[i]·alpha where the sign bit of x[i] is set and
// v[i] elsewhere: the rectifier's slope (0 or alpha for negative x, 1 for
// positive) times v, as the leaky rectifier's forward pass (v = x) and
// every order of its backward pass need. x and v must be at least as long
// as dst. At x = −0 the slope is alpha, at +0 it is 1.
var SlopeMul = SlopeMulGo

// SIMD names the instruction set of the kernels in use: "avx512", or ""
// for the Go loops.
var SIMD = ""

// SlopeMulGo is SlopeMul's Go loop. It has no branch: the slope is picked
// by the sign bit of x from a two-entry table (the signs of activations are
// unpredictable, and a branch mispredicted half the time cost ~2.4 ns per
// element).
func SlopeMulGo(dst, v, x []float32, alpha float32) {
	slopes := [2]float32{1, alpha}
	x = x[:len(dst)]
	v = v[:len(dst)]
	for i, xi := range x {
		dst[i] = slopes[math.Float32bits(xi)>>31] * v[i]
	}
}

// SlopeMul64 is SlopeMulGo for float64 values (the sign bit of x picks the
// slope: alpha where it is set, 1 elsewhere).
func SlopeMul64(dst, v, x []float64, alpha float64) {
	slopes := [2]float64{1, alpha}
	x = x[:len(dst)]
	v = v[:len(dst)]
	for i, xi := range x {
		dst[i] = slopes[math.Float64bits(xi)>>63] * v[i]
	}
}
