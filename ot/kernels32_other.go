//go:build !amd64

package ot

// cpuKernels lists no assembly kernels: there are none for this
// architecture.
func cpuKernels() []kernels32 { return nil }

// bestKernels returns the plain Go kernels.
func bestKernels() kernels32 { return goKernels }
