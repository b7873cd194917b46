//go:build openblas

package bench

// #cgo LDFLAGS: -lopenblas
// char* openblas_get_corename(void);
import "C"

// openBLASCore names the kernel family OpenBLAS chose for this CPU.
func openBLASCore() string { return C.GoString(C.openblas_get_corename()) }
