// Package runs moves short runs of values between a packed block and a
// strided one: the inner loops of otgen/nn's im2col and col2im.
//
// The strided block holds NB examples, Stride values apart, of OH runs of
// OW values, Pitch values apart; the packed block holds the same runs one
// after the other. The runs are short — 4 to 32 values in the DCGANs — so a
// call to memmove per run costs more than the copy; on amd64 with
// AVX-512, float32 runs move with (masked) vector loads and stores
// (runs_amd64.s), elsewhere and with -tags purego in Go. It is a package of
// its own because Go assembly cannot live in a package that uses cgo, as
// otgen/nn does in its openblas build.
package runs

import "fmt"

// Layout is the shape of the runs.
type Layout struct{ NB, Stride, OH, OW, Pitch int }

// SIMD names the vector code Copy and Add use ("" for Go loops).
var SIMD = ""

// Copy copies the runs of a strided src into a packed dst.
var Copy = CopyGo[float32]

// Add adds the runs of a packed src into a strided dst.
var Add = AddGo[float32]

// CopyGo is Copy in Go, for any float type.
func CopyGo[T float32 | float64](dst, src []T, r Layout) {
	r.Check(len(dst), len(src))
	k := 0
	for j := 0; j < r.NB; j++ {
		for oy := 0; oy < r.OH; oy++ {
			d := dst[k : k+r.OW]
			s := src[j*r.Stride+oy*r.Pitch:]
			s = s[:len(d)]
			for i := range d {
				d[i] = s[i]
			}
			k += r.OW
		}
	}
}

// AddGo is Add in Go, for any float type.
func AddGo[T float32 | float64](dst, src []T, r Layout) {
	r.Check(len(src), len(dst))
	k := 0
	for j := 0; j < r.NB; j++ {
		for oy := 0; oy < r.OH; oy++ {
			s := src[k : k+r.OW]
			d := dst[j*r.Stride+oy*r.Pitch:]
			d = d[:len(s)]
			for i, v := range s {
				d[i] += v
			}
			k += r.OW
		}
	}
}

// Check panics unless a packed block of packed values and a strided one of
// strided values hold the runs, the examples and runs of the strided one
// not overlapping: the vector code does no bounds checks of its own.
func (r Layout) Check(packed, strided int) {
	ok := r.NB >= 0 && r.OH >= 0 && r.OW >= 0 && r.Pitch >= r.OW && r.Stride >= r.OH*r.Pitch
	if ok && r.NB > 0 && r.OH > 0 && r.OW > 0 {
		ok = packed >= r.NB*r.OH*r.OW && strided >= (r.NB-1)*r.Stride+(r.OH-1)*r.Pitch+r.OW
	}
	if !ok {
		panic(fmt.Sprintf("runs: %+v in %d packed and %d strided values", r, packed, strided))
	}
}
