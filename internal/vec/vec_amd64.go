//go:build amd64 && !purego

package vec

import "golang.org/x/sys/cpu"

// slopeMulAVX512 is SlopeMulGo on 16 values per instruction (AVX-512F
// and DQ).
//
//go:noescape
func slopeMulAVX512(dst, v, x *float32, n int, alpha float32)

func init() {
	if !cpu.X86.HasAVX512F || !cpu.X86.HasAVX512DQ {
		return
	}
	SIMD = "avx512"
	SlopeMul = func(dst, v, x []float32, alpha float32) {
		n := len(dst)
		if n == 0 {
			return
		}
		_, _ = v[n-1], x[n-1]
		slopeMulAVX512(&dst[0], &v[0], &x[0], n, alpha)
	}
}
