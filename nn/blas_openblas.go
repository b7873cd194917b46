//go:build openblas

package nn

// #cgo LDFLAGS: -lopenblas
// char* openblas_get_corename(void);
// void openblas_set_num_threads(int);
import "C"

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/cpu"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"

	"otgen/sgemm"
)

// BLAS names the matrix-product library in use and, for OpenBLAS, the
// kernel family it selected for this CPU, and the kernel of the float32
// convolutions when it is not OpenBLAS (see convSgemm).
var BLAS = blasName()

func blasName() string {
	s := "OpenBLAS " + openBLASCore() + " (cgo, -tags openblas)"
	if k := sgemm.Kernel(); k != "gonum" {
		s += "; float32 convolutions on otgen sgemm (" + k + ")"
	}
	return s
}

// convSgemm is the float32 product of the convolution ops. Like PyTorch,
// whose convolutions run on oneDNN whatever BLAS it links, otgen's
// convolutions use the kernel that is faster on their shapes: otgen/sgemm's
// AVX-512 or AVX2 kernel where the CPU has one (measured on the CelebA
// critic step's products: 84–101 GFLOP/s per core against 75–87 for
// OpenBLAS 0.3.21's SkylakeX/Cooperlake sgemm), OpenBLAS elsewhere and
// with OTGEN_SGEMM=gonum. Every other product of this build (linear layers,
// float64) runs on OpenBLAS.
var convSgemm = pickConvSgemm()

func pickConvSgemm() func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if sgemm.Kernel() != "gonum" {
		return sgemm.Implementation{}.Sgemm
	}
	return netlib.Implementation{}.Sgemm
}

// init makes Gorgonia use OpenBLAS, on one thread unless
// OPENBLAS_NUM_THREADS says otherwise: nn splits its products over
// goroutines itself (convolutions by chunks of the batch, large matrix
// products by bands of rows, see splitGemm), together with the work around
// them (im2col, col2im). OpenBLAS's own second thread instead busy-waits
// after each product, taking the core that Go's goroutines would use.
func init() {
	G.Use(netlib.Implementation{})
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		C.openblas_set_num_threads(1)
	}
}

// splitGemm tells gemmOp to split large products over goroutines: OpenBLAS
// runs on one thread (see init).
var splitGemm = os.Getenv("OPENBLAS_NUM_THREADS") == ""

func openBLASCore() string { return C.GoString(C.openblas_get_corename()) }

// fastCoreType returns the OPENBLAS_CORETYPE that suits this CPU when
// OpenBLAS fell back to old SSE kernels although the CPU has AVX-512
// ("SkylakeX") or AVX2 with FMA ("Haswell"), and "" otherwise (Debian's
// OpenBLAS 0.3.21 falls back on recent Xeons: 27 instead of 143 GFLOP/s for
// a 256×512×512 product measured here).
func fastCoreType() string {
	switch openBLASCore() {
	case "Prescott", "Core2", "Nehalem", "Penryn", "Dunnington", "Atom":
	default:
		return ""
	}
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL:
		return "SkylakeX"
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return "Haswell"
	}
	return ""
}

// BLASWarning returns advice when OpenBLAS runs old SSE kernels on a CPU
// that has AVX2 or AVX-512, and "" otherwise.
func BLASWarning() string {
	core := fastCoreType()
	if core == "" {
		return ""
	}
	return fmt.Sprintf("OpenBLAS chose %s kernels for this CPU; set OPENBLAS_CORETYPE=%s for several times faster matrix products", openBLASCore(), core)
}

// ReexecWithFastBLAS restarts the program with OPENBLAS_CORETYPE set when
// OpenBLAS fell back to old SSE kernels on a CPU with AVX2 or AVX-512 (see
// BLASWarning): OpenBLAS reads the variable only when it loads, before
// main. It returns nil without doing anything when the kernels are right,
// when OPENBLAS_CORETYPE is already set, or when OTGEN_BLAS_REEXEC=0; on
// success it does not return. Call it first thing in main, before any
// output or goroutine.
func ReexecWithFastBLAS() error {
	core := fastCoreType()
	if core == "" || os.Getenv("OPENBLAS_CORETYPE") != "" || os.Getenv("OTGEN_BLAS_REEXEC") == "0" {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("nn: restart with OPENBLAS_CORETYPE=%s: %w", core, err)
	}
	env := append(os.Environ(), "OPENBLAS_CORETYPE="+core)
	if err := syscall.Exec(exe, os.Args, env); err != nil {
		return fmt.Errorf("nn: restart with OPENBLAS_CORETYPE=%s: %w", core, err)
	}
	return nil
}
