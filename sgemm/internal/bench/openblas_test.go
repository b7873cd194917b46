//go:build openblas

package bench

import "gonum.org/v1/netlib/blas/netlib"

// With -tags openblas, BenchmarkSgemm also measures OpenBLAS through cgo
// (Debian's libopenblas-dev; set OPENBLAS_CORETYPE if it picks SSE kernels
// on this CPU, as nn.ReexecWithFastBLAS does for the commands).
func init() {
	benchImpls = append(benchImpls, benchImpl{"openblas", netlib.Implementation{}, func() string { return "OpenBLAS " + openBLASCore() }})
}
