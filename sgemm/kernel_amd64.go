//go:build amd64 && !purego

package sgemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_kernels.go

// The AVX-512 kernels read a row-major A in place six rows at a time: the
// rows of a conv layer's im2col matrix are a power of two of bytes apart,
// so that twelve of them would fall into one set of the 8-way L1 cache and
// evict each other (measured: 77 instead of 97 GFLOP/s per core for
// K = 1024). A transposed A is read twelve rows at a time.
var (
	avx512 = &kernel{
		name: "avx512",
		rows: chain{kc: 512, nc: 256, rows: true, ks: []micro{
			{6, 64, kernAVX512Rows6x64}, {6, 32, kernAVX512Rows6x32}, {6, 16, kernAVX512Rows6x16}}},
		steps: chain{kc: 256, nc: 512, ks: []micro{
			{12, 32, kernAVX512Steps12x32}, {12, 16, kernAVX512Steps12x16}}},
	}
	avx2 = &kernel{
		name: "avx2",
		rows: chain{kc: 256, nc: 512, rows: true, ks: []micro{
			{6, 16, kernAVX2Rows6x16}, {6, 8, kernAVX2Rows6x8}}},
		steps: chain{kc: 256, nc: 512, ks: []micro{
			{6, 16, kernAVX2Steps6x16}, {6, 8, kernAVX2Steps6x8}}},
	}
)

// simdKernels returns the kernels this CPU can run, fastest first.
func simdKernels() []*kernel {
	var ks []*kernel
	hasAVX2 := cpu.X86.HasAVX2 && cpu.X86.HasFMA
	if cpu.X86.HasAVX512F && hasAVX2 {
		ks = append(ks, avx512)
	}
	if hasAVX2 {
		ks = append(ks, avx2)
	}
	return ks
}
