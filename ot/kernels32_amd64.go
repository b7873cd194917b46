//go:build amd64

package ot

import "golang.org/x/sys/cpu"

//go:noescape
func dotAVX512(t, x, panel []float32)

//go:noescape
func wsumAVX512(lanes, e, panel []float32)

//go:noescape
func expSumMaxAVX512(t, h []float32, c, shift float32) (sum, mx float32)

//go:noescape
func expStoreAVX512(dst, t, h []float32, c, shift float32) (sum float32)

//go:noescape
func lseDotAVX512(t, x, panel, h []float32, shift float32) (sum, mx float32)

//go:noescape
func lseDotAVX2(t, x, panel, h []float32, shift float32) (sum, mx float32)

//go:noescape
func dotAVX2(t, x, panel []float32)

//go:noescape
func wsumAVX2(lanes, e, panel []float32)

//go:noescape
func expSumMaxAVX2(t, h []float32, c, shift float32) (sum, mx float32)

//go:noescape
func expStoreAVX2(dst, t, h []float32, c, shift float32) (sum float32)

var (
	avx512Kernels = kernels32{name: "avx512", dot: dotAVX512, lseDot: lseDotAVX512, wsum: wsumAVX512, expSumMax: expSumMaxAVX512, expStore: expStoreAVX512}
	avx2Kernels   = kernels32{name: "avx2", dot: dotAVX2, lseDot: lseDotAVX2, wsum: wsumAVX2, expSumMax: expSumMaxAVX2, expStore: expStoreAVX2}
)

// cpuKernels lists the assembly kernels this CPU runs, fastest first.
func cpuKernels() []kernels32 {
	var ks []kernels32
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ {
		ks = append(ks, avx512Kernels)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2Kernels)
	}
	return ks
}

// bestKernels returns the fastest kernels the CPU runs.
func bestKernels() kernels32 {
	if ks := cpuKernels(); len(ks) > 0 {
		return ks[0]
	}
	return goKernels
}
