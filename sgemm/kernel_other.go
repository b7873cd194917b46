//go:build !amd64 || purego

package sgemm

// simdKernels returns no kernel: without Go assembly for this architecture
// Sgemm is gonum's.
func simdKernels() []*kernel { return nil }
