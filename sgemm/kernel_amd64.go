//go:build amd64 && !purego

package sgemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_kernels.go

// kernAVX512 is the 12×32 micro-kernel for AVX-512F (see gen_kernels.go).
//
//go:noescape
func kernAVX512(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// kernAVX2 is the 6×16 micro-kernel for AVX2 with FMA.
//
//go:noescape
func kernAVX2(kc int, a, b, c *float32, ldc int, alpha, beta float32)

var (
	avx512 = &kernel{name: "avx512", mr: 12, nr: 32, kc: 256, nc: 512, fn: kernAVX512}
	avx2   = &kernel{name: "avx2", mr: 6, nr: 16, kc: 256, nc: 512, fn: kernAVX2}
)

// simdKernels returns the kernels this CPU can run, fastest first.
func simdKernels() []*kernel {
	var ks []*kernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, avx512)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2)
	}
	return ks
}
