// Package dist is the communicator between the processes ("ranks") of a
// data-parallel otgen job: each rank's number and the job's size, the
// collectives that training and the OT tools need (allreduce, allgather,
// broadcast, barrier) and abort.
//
// One type, Comm, serves every build, so code written against it has no MPI
// branches:
//
//   - The default build is pure Go: World returns a communicator of one
//     rank, on which every collective returns at once (an allreduce leaves
//     the buffer as it is, an allgather copies).
//   - Built with the mpi tag (go build -tags mpi; Debian's libopenmpi-dev
//     through cgo and pkg-config "ompi"), World is OpenMPI's MPI_COMM_WORLD
//     when the process was started by an MPI launcher (mpirun, srun
//     --mpi=pmix, the Kubernetes MPI Operator), and one rank otherwise.
//     The binding (mpi.go) wraps only what otgen uses: init and finalize,
//     rank and size, allreduce, allgather and broadcast of float32, float64
//     and bytes, barrier and abort.
//   - NewLocal connects n ranks inside one process (goroutines), so that
//     tests of distributed code run in the default build.
//
// Every rank must call the same collectives in the same order with the same
// lengths, as in MPI. A collective that cannot complete — another rank died,
// hangs, or took another path — would block forever; instead, a watchdog
// aborts the job after Timeout without completion (10 minutes by default,
// OTGEN_DIST_TIMEOUT=90s or any time.ParseDuration string to change it),
// with a message naming the rank and the collective.
//
// Errors that every rank returns alike (Check, and the errors that callers
// build from a collective decision) are marked with Shared: each rank can
// end normally and only rank 0 needs to report them. Any other error of a
// multi-rank job is one rank's own: that rank reports it and calls Abort.
// A command ends with End, which does either and finalises.
//
// Beyond the collectives: AllgatherVar gathers parts of different lengths
// (encoded results, messages); WaitAll keeps ranks whose work differs in
// length (cmd/compare's runs) in touch without a long blocking collective;
// RunLocal runs a function on every rank of an in-process job, for tests.
//
// Who uses it: package train (data-parallel training: one fused allreduce
// of the gradients per step), colour and flow (their minibatch pairs are
// split over the ranks, and their per-point sums allreduced), cmd/ot and
// cmd/compare (whose runs are split over the ranks). Package ot does not
// import it: its MinibatchOptions.From and To select a share of the pairs.
package dist

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Op is a reduction of Allreduce.
type Op int

// The reductions.
const (
	Sum Op = iota // element-wise sum
	Max           // element-wise maximum
	Min           // element-wise minimum
)

func (o Op) String() string {
	switch o {
	case Sum:
		return "sum"
	case Max:
		return "max"
	case Min:
		return "min"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// dtype is the element type of a collective's buffer.
type dtype int

const (
	dByte dtype = iota
	dFloat32
	dFloat64
)

func (d dtype) size() int {
	switch d {
	case dFloat32:
		return 4
	case dFloat64:
		return 8
	}
	return 1
}

func (d dtype) String() string {
	switch d {
	case dFloat32:
		return "float32"
	case dFloat64:
		return "float64"
	}
	return "bytes"
}

// transport moves bytes between ranks. Buffers are raw views of typed
// slices; counts are in elements of dt.
type transport interface {
	rank() int
	size() int
	allreduce(buf []byte, dt dtype, op Op) error
	allgather(dst, src []byte) error
	bcast(buf []byte, root int) error
	barrier() error
	// abort ends every rank with the given exit status after msg was
	// written to stderr (or, for a local group, fails every collective).
	abort(code int, msg string)
	finalize() error
}

// DefaultTimeout is how long a collective may wait before the watchdog
// aborts the job, unless OTGEN_DIST_TIMEOUT says otherwise.
const DefaultTimeout = 10 * time.Minute

// TimeoutEnv names the environment variable that sets Timeout.
const TimeoutEnv = "OTGEN_DIST_TIMEOUT"

// WatchdogStatus is the exit status of a job the watchdog aborted.
const WatchdogStatus = 124

// Comm is a communicator over the ranks of a job. Its methods are safe for
// use by one goroutine at a time per rank (the collectives of one rank are
// serialised).
type Comm struct {
	t       transport
	mu      sync.Mutex
	timeout time.Duration
	done    bool
}

// Single returns a communicator of one rank: Rank 0, Size 1, and
// collectives that return at once.
func Single() *Comm { return &Comm{t: single{}, timeout: DefaultTimeout} }

// newComm wraps a transport with the timeout of the environment.
func newComm(t transport) (*Comm, error) {
	d, err := TimeoutFromEnv()
	if err != nil {
		return nil, err
	}
	return &Comm{t: t, timeout: d}, nil
}

// TimeoutFromEnv returns the watchdog's limit set by OTGEN_DIST_TIMEOUT
// (a duration such as "90s" or "15m"), or DefaultTimeout when it is unset.
func TimeoutFromEnv() (time.Duration, error) {
	s := strings.TrimSpace(os.Getenv(TimeoutEnv))
	if s == "" {
		return DefaultTimeout, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("dist: %s=%q: want a positive duration such as 90s or 15m", TimeoutEnv, s)
	}
	return d, nil
}

// Rank returns this process's rank, 0 <= Rank < Size.
func (c *Comm) Rank() int { return c.t.rank() }

// Size returns the number of ranks of the job.
func (c *Comm) Size() int { return c.t.size() }

// Timeout returns how long a collective may wait before the watchdog
// aborts the job.
func (c *Comm) Timeout() time.Duration { return c.timeout }

// SetTimeout changes the watchdog's limit (d > 0).
func (c *Comm) SetTimeout(d time.Duration) {
	if d > 0 {
		c.timeout = d
	}
}

// Share returns this rank's part [lo, hi) of the indices [0, n), as Split.
func (c *Comm) Share(n int) (lo, hi int) { return Split(n, c.Size(), c.Rank()) }

// Split returns the part [lo, hi) of [0, n) that rank owns when n items
// are spread over size ranks: contiguous blocks in rank order, the first
// n mod size ranks holding one item more. The parts of ranks 0..size-1
// cover [0, n) once.
func Split(n, size, rank int) (lo, hi int) {
	q, r := n/size, n%size
	lo = rank*q + min(rank, r)
	hi = lo + q
	if rank < r {
		hi++
	}
	return lo, hi
}

// bytesOf views a typed slice as bytes, without copying.
func bytesOf[T float32 | float64](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

// collective runs f under the lock and the watchdog.
func (c *Comm) collective(what string, f func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return fmt.Errorf("dist: %s after Finalize", what)
	}
	if c.t.size() == 1 {
		return f()
	}
	rank, size, limit := c.t.rank(), c.t.size(), c.timeout
	timer := time.AfterFunc(limit, func() {
		c.t.abort(WatchdogStatus, fmt.Sprintf("dist: rank %d of %d: %s did not complete within %v (%s): another rank has died, hangs or called another collective; aborting the job",
			rank, size, what, limit, TimeoutEnv))
	})
	err := f()
	timer.Stop()
	if err != nil {
		return fmt.Errorf("dist: rank %d of %d: %s: %w", rank, size, what, err)
	}
	return nil
}

// AllreduceFloat32 replaces buf, on every rank, by the element-wise
// reduction op of every rank's buf (all of the same length). Every rank
// receives the same result, bit for bit.
func (c *Comm) AllreduceFloat32(buf []float32, op Op) error {
	return c.collective(fmt.Sprintf("allreduce (%s) of %d float32", op, len(buf)), func() error {
		return c.t.allreduce(bytesOf(buf), dFloat32, op)
	})
}

// AllreduceFloat64 is AllreduceFloat32 for float64.
func (c *Comm) AllreduceFloat64(buf []float64, op Op) error {
	return c.collective(fmt.Sprintf("allreduce (%s) of %d float64", op, len(buf)), func() error {
		return c.t.allreduce(bytesOf(buf), dFloat64, op)
	})
}

// AllgatherFloat32 writes every rank's src, in rank order, into dst on
// every rank: len(dst) must be Size()*len(src), and len(src) the same on
// every rank.
func (c *Comm) AllgatherFloat32(dst, src []float32) error {
	if len(dst) != c.Size()*len(src) {
		return fmt.Errorf("dist: allgather: dst has %d values, want %d×%d", len(dst), c.Size(), len(src))
	}
	return c.collective(fmt.Sprintf("allgather of %d float32", len(src)), func() error {
		return c.t.allgather(bytesOf(dst), bytesOf(src))
	})
}

// AllgatherFloat64 is AllgatherFloat32 for float64.
func (c *Comm) AllgatherFloat64(dst, src []float64) error {
	if len(dst) != c.Size()*len(src) {
		return fmt.Errorf("dist: allgather: dst has %d values, want %d×%d", len(dst), c.Size(), len(src))
	}
	return c.collective(fmt.Sprintf("allgather of %d float64", len(src)), func() error {
		return c.t.allgather(bytesOf(dst), bytesOf(src))
	})
}

// AllgatherBytes is AllgatherFloat32 for bytes.
func (c *Comm) AllgatherBytes(dst, src []byte) error {
	if len(dst) != c.Size()*len(src) {
		return fmt.Errorf("dist: allgather: dst has %d bytes, want %d×%d", len(dst), c.Size(), len(src))
	}
	return c.collective(fmt.Sprintf("allgather of %d bytes", len(src)), func() error {
		return c.t.allgather(dst, src)
	})
}

// AllgatherVar returns every rank's src, in rank order, on every rank:
// src may differ in length from rank to rank (an empty src gives an empty
// part). It costs two collectives: an allgather of the lengths, then one of
// the parts padded to the longest (skipped when every part is empty). The
// parts are copies, not views of src.
func (c *Comm) AllgatherVar(src []byte) ([][]byte, error) {
	n := c.Size()
	if n == 1 {
		return [][]byte{append([]byte{}, src...)}, nil
	}
	lens := make([]byte, 8*n)
	var own [8]byte
	binary.LittleEndian.PutUint64(own[:], uint64(len(src)))
	if err := c.AllgatherBytes(lens, own[:]); err != nil {
		return nil, err
	}
	width := 0
	for r := 0; r < n; r++ {
		width = max(width, int(binary.LittleEndian.Uint64(lens[8*r:])))
	}
	out := make([][]byte, n)
	if width == 0 {
		for r := range out {
			out[r] = []byte{}
		}
		return out, nil
	}
	padded := make([]byte, width)
	copy(padded, src)
	all := make([]byte, width*n)
	if err := c.AllgatherBytes(all, padded); err != nil {
		return nil, err
	}
	for r := range out {
		l := int(binary.LittleEndian.Uint64(lens[8*r:]))
		out[r] = all[r*width : r*width+l : r*width+l]
	}
	return out, nil
}

// BroadcastFloat32 copies root's buf into buf on every other rank (all of
// the same length).
func (c *Comm) BroadcastFloat32(buf []float32, root int) error {
	if err := c.checkRoot(root); err != nil {
		return err
	}
	return c.collective(fmt.Sprintf("broadcast of %d float32 from rank %d", len(buf), root), func() error {
		return c.t.bcast(bytesOf(buf), root)
	})
}

// BroadcastFloat64 is BroadcastFloat32 for float64.
func (c *Comm) BroadcastFloat64(buf []float64, root int) error {
	if err := c.checkRoot(root); err != nil {
		return err
	}
	return c.collective(fmt.Sprintf("broadcast of %d float64 from rank %d", len(buf), root), func() error {
		return c.t.bcast(bytesOf(buf), root)
	})
}

// BroadcastBytes is BroadcastFloat32 for bytes.
func (c *Comm) BroadcastBytes(buf []byte, root int) error {
	if err := c.checkRoot(root); err != nil {
		return err
	}
	return c.collective(fmt.Sprintf("broadcast of %d bytes from rank %d", len(buf), root), func() error {
		return c.t.bcast(buf, root)
	})
}

func (c *Comm) checkRoot(root int) error {
	if root < 0 || root >= c.Size() {
		return fmt.Errorf("dist: broadcast from rank %d of a %d-rank job", root, c.Size())
	}
	return nil
}

// Barrier returns once every rank has called it.
func (c *Comm) Barrier() error {
	return c.collective("barrier", c.t.barrier)
}

// Abort ends every rank of the job with exit status code (non-zero) after
// writing msg, when not empty, to this process's stderr. With MPI it calls
// MPI_Abort, which the launcher turns into the end of the whole job; with
// one rank it exits the process. It does not return, except on a NewLocal
// communicator, whose ranks are goroutines of one process: there it makes
// every pending and future collective of the group fail and returns.
func (c *Comm) Abort(code int, msg string) {
	if code == 0 {
		code = 1
	}
	c.t.abort(code, msg)
}

// Finalize ends the communicator (MPI_Finalize with MPI). Every rank calls
// it once, after its last collective; later collectives fail. Calling it
// again does nothing.
func (c *Comm) Finalize() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return nil
	}
	c.done = true
	if err := c.t.finalize(); err != nil {
		return fmt.Errorf("dist: finalize: %w", err)
	}
	return nil
}

// End is the epilogue of a command run on the job's ranks: call it once,
// with the error the command's body returned, after the body's last
// collective; it returns the error this process should report (nil for
// exit status 0).
//
//   - An error of this rank alone (not marked Shared, not flag.ErrHelp)
//     would leave the other ranks waiting in a collective: with several
//     ranks, End writes it to stderr as "name: rank R of N: message" and
//     aborts the whole job (MPI_Abort; the launcher exits non-zero). On a
//     NewLocal communicator Abort returns, and so does End.
//   - Otherwise End finalises the communicator (its error is returned
//     when err is nil), and returns err on rank 0 and nil on the others:
//     an error every rank returns alike (Shared, or --help, which every
//     rank parsed alike) is reported once, by rank 0, which exits with
//     status 1 while the others end normally.
//
// With one rank it finalises and returns err as it is.
func (c *Comm) End(name string, err error) error {
	own := err != nil && !IsShared(err) && !errors.Is(err, flag.ErrHelp)
	if c.Size() > 1 && own {
		msg := strings.Join(strings.Fields(err.Error()), " ")
		c.Abort(1, fmt.Sprintf("%s: rank %d of %d: %s", name, c.Rank(), c.Size(), msg))
	}
	if ferr := c.Finalize(); err == nil {
		err = ferr
	}
	if c.Rank() != 0 && !own {
		return nil
	}
	return err
}

// sharedError marks an error that every rank returns alike.
type sharedError struct{ err error }

func (e sharedError) Error() string { return e.err.Error() }
func (e sharedError) Unwrap() error { return e.err }

// Shared marks err as an error that every rank of the job returns alike
// (the outcome of a collective decision), so that each rank can end
// normally and only rank 0 reports it. Shared(nil) is nil.
func Shared(err error) error {
	if err == nil || IsShared(err) {
		return err
	}
	return sharedError{err}
}

// IsShared reports whether err, or an error it wraps, was marked by Shared.
func IsShared(err error) bool {
	var s sharedError
	return errors.As(err, &s)
}

// Check is a collective error check: every rank passes its own outcome
// (nil for success) and receives nil if every rank succeeded, else the same
// Shared error on every rank, naming each rank that failed with its message
// ("rank 1: open /data/mnist: no such file"; ranks with the same message
// are listed together). On a rank that failed, the error also wraps that
// rank's own err, so errors.Is sees it there. With one rank it returns err
// marked Shared.
func (c *Comm) Check(err error) error {
	if c.Size() == 1 {
		return Shared(err)
	}
	msg := ""
	if err != nil {
		msg = err.Error()
		if msg == "" {
			msg = "error"
		}
	}
	n := c.Size()
	parts, cerr := c.AllgatherVar([]byte(msg))
	if cerr != nil {
		return cerr
	}
	failed := false
	for _, p := range parts {
		failed = failed || len(p) > 0
	}
	if !failed {
		return nil
	}
	var order []string
	ranks := map[string][]int{}
	for r, p := range parts {
		if len(p) == 0 {
			continue
		}
		m := string(p)
		if _, ok := ranks[m]; !ok {
			order = append(order, m)
		}
		ranks[m] = append(ranks[m], r)
	}
	lines := make([]string, len(order))
	for i, m := range order {
		lines[i] = fmt.Sprintf("%s: %s", RankList(ranks[m], n), m)
	}
	text := strings.Join(lines, "; ")
	if err != nil {
		return Shared(&rankError{text: text, err: err})
	}
	return Shared(errors.New(text))
}

// rankError is Check's error on a rank that failed: the job's message,
// wrapping the rank's own error.
type rankError struct {
	text string
	err  error
}

func (e *rankError) Error() string { return e.text }
func (e *rankError) Unwrap() error { return e.err }

// RankList names the ranks rs of a job of size ranks, for messages: "rank
// 1", "ranks 0, 2" or "every rank".
func RankList(rs []int, size int) string {
	if len(rs) == size && size > 1 {
		return "every rank"
	}
	if len(rs) == 1 {
		return fmt.Sprintf("rank %d", rs[0])
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = fmt.Sprint(r)
	}
	return "ranks " + strings.Join(s, ", ")
}

// unsafeFloat32 views bytes written by bytesOf([]float32) as float32s.
func unsafeFloat32(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

// unsafeFloat64 views bytes written by bytesOf([]float64) as float64s.
func unsafeFloat64(b []byte) []float64 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&b[0])), len(b)/8)
}
