//go:build amd64

package ot

// bestKernels returns the fastest kernels the CPU runs.
func bestKernels() kernels32 { return goKernels }
