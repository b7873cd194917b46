package nn

import "fmt"

// Runs: the inner loops of im2col and col2im (see phaseLayout), which move
// values between a packed block and a strided one. The strided block holds
// nb examples, stride values apart, of oh runs of ow values, pitch values
// apart; the packed block holds the same runs one after the other. The
// runs are short — 4 to 32 values in the DCGANs — so a call to memmove per
// run costs more than the copy; on amd64 with AVX-512, float32 runs move
// with (masked) vector loads and stores (runs_amd64.s), elsewhere in Go.
type runs struct{ nb, stride, oh, ow, pitch int }

// runsSIMD names the vector code copyRuns32 and addRuns32 use ("" for Go).
var runsSIMD = ""

// copyRuns32 copies the runs of a strided src into a packed dst.
var copyRuns32 = copyRunsGo[float32]

// addRuns32 adds the runs of a packed src into a strided dst.
var addRuns32 = addRunsGo[float32]

// copyRuns is copyRuns32 for any float type.
func copyRuns[T float32 | float64](dst, src []T, r runs) {
	if d, ok := any(dst).([]float32); ok {
		copyRuns32(d, any(src).([]float32), r)
		return
	}
	copyRunsGo(dst, src, r)
}

// addRuns is addRuns32 for any float type.
func addRuns[T float32 | float64](dst, src []T, r runs) {
	if d, ok := any(dst).([]float32); ok {
		addRuns32(d, any(src).([]float32), r)
		return
	}
	addRunsGo(dst, src, r)
}

func copyRunsGo[T float32 | float64](dst, src []T, r runs) {
	r.check(len(dst), len(src))
	k := 0
	for j := 0; j < r.nb; j++ {
		for oy := 0; oy < r.oh; oy++ {
			d := dst[k : k+r.ow]
			s := src[j*r.stride+oy*r.pitch:]
			s = s[:len(d)]
			for i := range d {
				d[i] = s[i]
			}
			k += r.ow
		}
	}
}

func addRunsGo[T float32 | float64](dst, src []T, r runs) {
	r.check(len(src), len(dst))
	k := 0
	for j := 0; j < r.nb; j++ {
		for oy := 0; oy < r.oh; oy++ {
			s := src[k : k+r.ow]
			d := dst[j*r.stride+oy*r.pitch:]
			d = d[:len(s)]
			for i, v := range s {
				d[i] += v
			}
			k += r.ow
		}
	}
}

// check panics unless a packed block of packed values and a strided one of
// strided values hold the runs, the examples and runs of the strided one
// not overlapping: the vector code does no bounds checks of its own.
func (r runs) check(packed, strided int) {
	ok := r.nb >= 0 && r.oh >= 0 && r.ow >= 0 && r.pitch >= r.ow && r.stride >= r.oh*r.pitch
	if ok && r.nb > 0 && r.oh > 0 && r.ow > 0 {
		ok = packed >= r.nb*r.oh*r.ow && strided >= (r.nb-1)*r.stride+(r.oh-1)*r.pitch+r.ow
	}
	if !ok {
		panic(fmt.Sprintf("nn: runs %+v in %d packed and %d strided values", r, packed, strided))
	}
}
