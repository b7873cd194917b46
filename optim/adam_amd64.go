//go:build amd64 && !purego

package optim

import "golang.org/x/sys/cpu"

// adamAVX512 is adamGo on 16 values per instruction (AVX-512F), with the
// same operations in the same order, so the same results bit for bit.
//
//go:noescape
func adamAVX512(w, grad, m, v *float32, n int, c *adamConsts)

func init() {
	if !cpu.X86.HasAVX512F {
		return
	}
	adamSIMD = "avx512"
	adam = func(w, g, m, v []float32, c adamConsts) {
		n := len(g)
		if n == 0 {
			return
		}
		_, _, _ = w[n-1], m[n-1], v[n-1]
		adamAVX512(&w[0], &g[0], &m[0], &v[0], n, &c)
	}
}
