//go:build !amd64

package ot

// bestKernels returns the plain Go kernels: there is no assembly for this
// architecture.
func bestKernels() kernels32 { return goKernels }
