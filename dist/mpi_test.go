package dist_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"otgen/dist/mpitest"
)

// TestMPI runs the collectives, the watchdog and a killed rank on the
// OpenMPI transport: it builds this package's tests with the mpi tag and
// runs TestMPIChild under mpirun with 2 and 3 ranks.
func TestMPI(t *testing.T) {
	mpitest.Mpirun(t)
	bin := mpitest.Build(t, "otgen/dist", true)
	child := func(mode string, np int, env ...string) (string, error) {
		j := mpitest.Job{Ranks: np, Env: append(env, "OTGEN_DIST_MPI_CHILD="+mode), Limit: 3 * time.Minute}
		return mpitest.Run(t, j, bin, "-test.run", "^TestMPIChild$", "-test.v", "-test.count=1")
	}
	for _, np := range []int{2, 3} {
		out, err := child("collectives", np)
		if err != nil {
			t.Fatalf("collectives on %d ranks: %v\n%s", np, err, out)
		}
		if n := strings.Count(out, "collectives ok"); n != np {
			t.Fatalf("collectives on %d ranks: %d ranks reported success:\n%s", np, n, out)
		}
	}

	t.Run("watchdog", func(t *testing.T) {
		out, err := child("watchdog", 2, "OTGEN_DIST_TIMEOUT=2s")
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("a job with a hung rank ended with %v, want a non-zero exit:\n%s", err, out)
		}
		if !strings.Contains(out, "rank 0 of 2: barrier did not complete within 2s (OTGEN_DIST_TIMEOUT)") {
			t.Fatalf("no watchdog message in the output:\n%s", out)
		}
	})

	t.Run("kill", func(t *testing.T) {
		out, err := child("kill", 2)
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("a job whose rank was killed ended with %v, want a non-zero exit:\n%s", err, out)
		}
		if !strings.Contains(out, "signal 9") {
			t.Fatalf("mpirun did not report the killed rank:\n%s", out)
		}
	})
}
