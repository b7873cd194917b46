//go:build openblas

package nn

// #cgo LDFLAGS: -lopenblas
// char* openblas_get_corename(void);
import "C"

import (
	"fmt"

	"golang.org/x/sys/cpu"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// BLAS names the matrix-product library in use and, for OpenBLAS, the
// kernel family it selected for this CPU.
var BLAS = "OpenBLAS " + openBLASCore() + " (cgo, -tags openblas)"

func init() { G.Use(netlib.Implementation{}) }

func openBLASCore() string { return C.GoString(C.openblas_get_corename()) }

// BLASWarning returns advice when OpenBLAS did not recognise the CPU and
// fell back to old SSE kernels although the CPU has AVX2 or AVX-512
// (Debian's OpenBLAS 0.3.21 does this on recent Xeons: 27 instead of 143
// GFLOP/s for a 256×512×512 product measured here), and "" otherwise.
func BLASWarning() string {
	core := openBLASCore()
	old := core == "Prescott" || core == "Core2" || core == "Nehalem" || core == "Penryn" || core == "Dunnington" || core == "Atom"
	if !old {
		return ""
	}
	switch {
	case cpu.X86.HasAVX512F:
		return fmt.Sprintf("OpenBLAS chose %s kernels for an AVX-512 CPU; set OPENBLAS_CORETYPE=SkylakeX for several times faster matrix products", core)
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return fmt.Sprintf("OpenBLAS chose %s kernels for an AVX2 CPU; set OPENBLAS_CORETYPE=Haswell for several times faster matrix products", core)
	}
	return ""
}
