// Package sgemm is a fast single-precision matrix product (BLAS Sgemm) in
// pure Go with Go assembly kernels, a drop-in for gonum's.
package sgemm
