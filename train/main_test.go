package train

import (
	"fmt"
	"os"
	"testing"

	"otgen/nn"
)

// TestMain restarts the test binary with fast OpenBLAS kernels when
// OpenBLAS chose slow ones for this CPU (openblas build only; see
// nn.ReexecWithFastBLAS), so that benchmarks measure what cmd/train gets.
func TestMain(m *testing.M) {
	if err := nn.ReexecWithFastBLAS(); err != nil {
		fmt.Fprintln(os.Stderr, "warning:", err)
	}
	os.Exit(m.Run())
}
