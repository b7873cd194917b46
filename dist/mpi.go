//go:build mpi

package dist

/*
#cgo pkg-config: ompi
#include <stdlib.h>
#include <mpi.h>

// The MPI handles are macros over OpenMPI's globals, which cgo cannot
// evaluate: small functions map otgen's codes to them.

static MPI_Datatype otgen_type(int t) {
	switch (t) {
	case 1: return MPI_FLOAT;
	case 2: return MPI_DOUBLE;
	}
	return MPI_BYTE;
}

static MPI_Op otgen_op(int op) {
	switch (op) {
	case 1: return MPI_MAX;
	case 2: return MPI_MIN;
	}
	return MPI_SUM;
}

static int otgen_init(int *provided) {
	int flag = 0;
	MPI_Initialized(&flag);
	if (flag) {
		MPI_Query_thread(provided);
		return MPI_SUCCESS;
	}
	int err = MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, provided);
	if (err != MPI_SUCCESS) return err;
	// Errors become return codes instead of aborting the job inside MPI,
	// so that otgen reports them with its own message.
	return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

static int otgen_rank(int *rank) { return MPI_Comm_rank(MPI_COMM_WORLD, rank); }
static int otgen_size(int *size) { return MPI_Comm_size(MPI_COMM_WORLD, size); }

static int otgen_allreduce(void *buf, int count, int t, int op) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, count, otgen_type(t), otgen_op(op), MPI_COMM_WORLD);
}

static int otgen_allgather(void *src, int count, void *dst) {
	return MPI_Allgather(src, count, MPI_BYTE, dst, count, MPI_BYTE, MPI_COMM_WORLD);
}

static int otgen_bcast(void *buf, int count, int root) {
	return MPI_Bcast(buf, count, MPI_BYTE, root, MPI_COMM_WORLD);
}

static int otgen_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static int otgen_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
static int otgen_finalize(void) { return MPI_Finalize(); }
static int otgen_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }

static void otgen_error_string(int code, char *buf, int *len) {
	MPI_Error_string(code, buf, len);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"unsafe"
)

// MPI reports whether this build has the MPI transport (the mpi build tag).
const MPI = true

// launcherVars are set in the environment of the processes that an MPI
// launcher starts: OpenMPI's mpirun, PMIx (srun --mpi=pmix, the MPI
// Operator's mpirun) and PMI-1/2 launchers.
var launcherVars = []string{"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}

// world is the process's MPI communicator: MPI can be initialised once per
// process, so this is package state by necessity.
var world struct {
	once sync.Once
	comm *Comm
	err  error
}

// World returns the communicator of all the job's processes: OpenMPI's
// MPI_COMM_WORLD when an MPI launcher started this process, or a job of
// one rank when it was started directly (no MPI initialisation then). The
// first call initialises MPI (MPI_Init_thread, asking for
// MPI_THREAD_MULTIPLE so that the watchdog can abort while another thread
// waits in a collective); every later call returns the same communicator.
// Call Finalize once, after the last collective. Without a launcher, every
// call returns a new one-rank communicator, as in the default build.
//
// OpenMPI's own handlers of fatal signals (its opal_signal setting) would
// replace Go's, which turn nil dereferences into panics: World disables
// them (OMPI_MCA_opal_signal="") unless that variable is already set.
func World() (*Comm, error) {
	launched := false
	for _, v := range launcherVars {
		if os.Getenv(v) != "" {
			launched = true
		}
	}
	if !launched {
		return newComm(single{})
	}
	world.once.Do(func() {
		if _, ok := os.LookupEnv("OMPI_MCA_opal_signal"); !ok {
			os.Setenv("OMPI_MCA_opal_signal", "")
		}
		var provided C.int
		if rc := C.otgen_init(&provided); rc != 0 {
			world.err = fmt.Errorf("dist: MPI_Init_thread: %w", mpiError(rc))
			return
		}
		t := &mpi{multiple: provided >= C.otgen_thread_multiple()}
		var r, s C.int
		if rc := C.otgen_rank(&r); rc != 0 {
			world.err = fmt.Errorf("dist: MPI_Comm_rank: %w", mpiError(rc))
			return
		}
		if rc := C.otgen_size(&s); rc != 0 {
			world.err = fmt.Errorf("dist: MPI_Comm_size: %w", mpiError(rc))
			return
		}
		t.r, t.n = int(r), int(s)
		world.comm, world.err = newComm(t)
	})
	return world.comm, world.err
}

// mpi is the transport over MPI_COMM_WORLD.
type mpi struct {
	r, n int
	// multiple records whether MPI granted MPI_THREAD_MULTIPLE: only then
	// may the watchdog call MPI_Abort while another thread is inside MPI.
	multiple bool
}

func (t *mpi) rank() int { return t.r }
func (t *mpi) size() int { return t.n }

// count checks that n elements fit MPI's int counts.
func count(n int) (C.int, error) {
	if n > math.MaxInt32 {
		return 0, fmt.Errorf("%d elements: more than MPI's int counts allow", n)
	}
	return C.int(n), nil
}

// ptr is the address of a buffer's first byte, or nil for an empty one.
func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

func (t *mpi) allreduce(buf []byte, dt dtype, op Op) error {
	n, err := count(len(buf) / dt.size())
	if err != nil || n == 0 {
		return err
	}
	return mpiError(C.otgen_allreduce(ptr(buf), n, C.int(dt), C.int(op)))
}

func (t *mpi) allgather(dst, src []byte) error {
	n, err := count(len(src))
	if err != nil {
		return err
	}
	if _, err := count(len(dst)); err != nil {
		return err
	}
	if n == 0 {
		return t.barrier()
	}
	return mpiError(C.otgen_allgather(ptr(src), n, ptr(dst)))
}

func (t *mpi) bcast(buf []byte, root int) error {
	n, err := count(len(buf))
	if err != nil || n == 0 {
		return err
	}
	return mpiError(C.otgen_bcast(ptr(buf), n, C.int(root)))
}

func (t *mpi) barrier() error { return mpiError(C.otgen_barrier()) }

func (t *mpi) abort(code int, msg string) {
	if msg != "" {
		fmt.Fprintln(os.Stderr, msg)
	}
	if t.multiple {
		C.otgen_abort(C.int(code))
	}
	// Without MPI_THREAD_MULTIPLE (or if MPI_Abort returned), exiting
	// without MPI_Finalize makes the launcher end the job.
	os.Exit(code)
}

func (t *mpi) finalize() error { return mpiError(C.otgen_finalize()) }

// mpiError turns an MPI return code into an error (nil for MPI_SUCCESS).
func mpiError(rc C.int) error {
	if rc == 0 {
		return nil
	}
	buf := (*C.char)(C.malloc(C.MPI_MAX_ERROR_STRING))
	defer C.free(unsafe.Pointer(buf))
	var n C.int
	C.otgen_error_string(rc, buf, &n)
	return errors.New("MPI: " + C.GoStringN(buf, n))
}
