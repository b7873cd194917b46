package sgemm

import (
	"os"
	"strings"
)

// kernel is a SIMD micro-kernel and the block sizes that suit it.
type kernel struct {
	name   string
	mr, nr int // tile of C computed by one call of fn
	kc     int // depth of a packed block (A micro-panel mr×kc stays in L1)
	nc     int // columns of a packed B block (kc×nc stays in L2)
	// fn computes the mr×nr tile C = alpha·Ã·B̃ + beta·C from kc steps of
	// packed A (mr values each) and packed B (nr values each); C is not
	// read when beta is 0.
	fn func(kc int, a, b, c *float32, ldc int, alpha, beta float32)
}

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
