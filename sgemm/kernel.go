package sgemm

import (
	"os"
	"strings"
)

// kernel is a family of SIMD micro-kernels for one instruction set.
type kernel struct {
	name string
	// rows serves a row-major A (op(A) = A), steps a transposed one.
	rows, steps chain
}

// chain is a list of micro-kernels of the same height, widest first (the
// narrower ones finish the last columns of C), and the block sizes that
// suit them.
type chain struct {
	kc   int  // depth of a block
	nc   int  // columns of a packed B block (kc×nc stays in L2)
	rows bool // A(r, p) = a[r·lda+p], else a[p·lda+r]
	ks   []micro
}

// micro is one micro-kernel: fn computes the mr×nr tile
// C = alpha·A·B + beta·C from kc steps, A(r, p) being a[r·lda+p] in a rows
// chain and a[p·lda+r] in a steps chain, B(p, j) being b[p·ldb+j]; C is
// not read when beta is 0.
type micro struct {
	mr, nr int
	fn     kfunc
}

// kfunc is the signature of the micro-kernels.
type kfunc func(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// EnvVar is the environment variable read once at start-up to choose the
// kernel: "gonum" (or "generic") forces gonum's pure-Go Sgemm, "avx2" or
// "avx512" a kernel this CPU supports; empty or anything else picks the
// fastest kernel the CPU supports.
const EnvVar = "OTGEN_SGEMM"

// active is the kernel Sgemm uses, nil for gonum's Sgemm. It is chosen once
// from the CPU and EnvVar when the package is initialised, and changed only
// by this package's tests.
var active = selectKernel(os.Getenv(EnvVar))

// selectKernel returns the kernel that the EnvVar value want asks for among
// those the CPU supports (best first), or nil for gonum's.
func selectKernel(want string) *kernel {
	ks := simdKernels()
	switch want = strings.ToLower(strings.TrimSpace(want)); want {
	case "gonum", "generic", "go", "purego":
		return nil
	}
	for _, k := range ks {
		if k.name == want {
			return k
		}
	}
	if len(ks) == 0 {
		return nil
	}
	return ks[0]
}

// Kernel names the matrix-product kernel Sgemm uses on this CPU: "avx512"
// or "avx2" for the Go assembly kernels (amd64 only), "gonum" when Sgemm
// falls back to gonum's pure-Go Sgemm (other CPUs and architectures, or
// OTGEN_SGEMM=gonum).
func Kernel() string {
	if active == nil {
		return "gonum"
	}
	return active.name
}
