//go:build mpi

package dist

import (
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// childEnv selects what TestMPIChild does in a process that TestMPI
// started under mpirun.
const childEnv = "OTGEN_DIST_MPI_CHILD"

// TestMPIChild is one rank of the jobs of TestMPI (skipped otherwise).
func TestMPIChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("one rank of TestMPI's jobs under mpirun; run TestMPI")
	}
	c, err := World()
	if err != nil {
		t.Fatal(err)
	}
	if c.Size() < 2 {
		t.Fatalf("World has %d rank under mpirun, want several", c.Size())
	}
	switch mode {
	case "collectives":
		if err := checkCollectives(c); err != nil {
			t.Fatalf("rank %d: %v", c.Rank(), err)
		}
		// WaitAll while rank r works r·2.5 s: every rank returns once
		// the last is done, with the watchdog far shorter than the wait.
		c.SetTimeout(time.Second)
		start := time.Now()
		work := time.Duration(c.Rank()) * 2500 * time.Millisecond
		var done atomic.Bool
		time.AfterFunc(work, func() { done.Store(true) })
		stopped, err := c.WaitAll(20*time.Millisecond, func() (bool, bool) { return done.Load(), false }, nil)
		if err != nil || stopped {
			t.Fatalf("rank %d: WaitAll: %v, stopped %v", c.Rank(), err, stopped)
		}
		if last := time.Duration(c.Size()-1) * 2500 * time.Millisecond; time.Since(start) < last {
			t.Fatalf("rank %d: WaitAll returned after %v, before the last rank's work (%v) was done", c.Rank(), time.Since(start), last)
		}
		c.SetTimeout(DefaultTimeout)
		fmt.Printf("rank %d of %d: collectives ok\n", c.Rank(), c.Size())
	case "watchdog":
		// The last rank never joins the barrier: the others' watchdog
		// must end the job.
		if c.Rank() == c.Size()-1 {
			select {}
		}
		c.Barrier()
		t.Fatal("the barrier returned without the last rank")
	case "kill":
		// The last rank dies by SIGKILL after one collective; the others
		// keep reducing until the launcher ends the job.
		c.Barrier()
		if c.Rank() == c.Size()-1 {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
		for {
			if err := c.AllreduceFloat32([]float32{1}, Sum); err != nil {
				t.Fatalf("rank %d: %v", c.Rank(), err)
			}
		}
	default:
		t.Fatalf("unknown %s=%q", childEnv, mode)
	}
	if err := c.Finalize(); err != nil {
		t.Fatal(err)
	}
}
