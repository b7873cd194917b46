package dist

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSplitCoversOnce(t *testing.T) {
	for n := 0; n < 40; n++ {
		for size := 1; size < 9; size++ {
			next := 0
			for r := 0; r < size; r++ {
				lo, hi := Split(n, size, r)
				if lo != next || hi < lo {
					t.Fatalf("Split(%d, %d, %d) = [%d, %d), want it to start at %d", n, size, r, lo, hi, next)
				}
				if q := n / size; hi-lo != q && hi-lo != q+1 {
					t.Fatalf("Split(%d, %d, %d) has %d items, want %d or %d", n, size, r, hi-lo, q, q+1)
				}
				next = hi
			}
			if next != n {
				t.Fatalf("Split(%d, %d, ·) covers [0, %d)", n, size, next)
			}
		}
	}
}

// runLocal runs f on every rank of a local job of n ranks (RunLocal), with
// the watchdog's limit set to timeout when positive, and returns their
// errors.
func runLocal(t *testing.T, n int, timeout time.Duration, f func(c *Comm) error) []error {
	t.Helper()
	errs, err := RunLocal(n, func(c *Comm) error {
		if timeout > 0 {
			c.SetTimeout(timeout)
		}
		return f(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

func TestLocalCollectives(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			for r, err := range runLocal(t, n, 0, checkCollectives) {
				if err != nil {
					t.Errorf("rank %d: %v", r, err)
				}
			}
		})
	}
}

func TestSingleCollectives(t *testing.T) {
	if err := checkCollectives(Single()); err != nil {
		t.Fatal(err)
	}
	c, err := World()
	if err != nil {
		t.Fatal(err)
	}
	if MPI {
		t.Skip("the mpi build's World is checked under mpirun")
	}
	if c.Rank() != 0 || c.Size() != 1 {
		t.Fatalf("World() = rank %d of %d, want 0 of 1", c.Rank(), c.Size())
	}
	if err := checkCollectives(c); err != nil {
		t.Fatal(err)
	}
}

// TestLocalMismatch: ranks that call different collectives fail instead
// of exchanging garbage.
func TestLocalMismatch(t *testing.T) {
	errs := runLocal(t, 2, 0, func(c *Comm) error {
		if c.Rank() == 0 {
			return c.AllreduceFloat32(make([]float32, 4), Sum)
		}
		return c.AllreduceFloat32(make([]float32, 5), Sum)
	})
	for r, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "bytes") {
			t.Errorf("rank %d: %v, want a length mismatch", r, err)
		}
	}
}

// TestLocalWatchdog: a rank that never joins a collective makes the others
// fail with the watchdog's message instead of waiting forever.
func TestLocalWatchdog(t *testing.T) {
	release := make(chan struct{})
	errs := runLocal(t, 3, 50*time.Millisecond, func(c *Comm) error {
		if c.Rank() == 2 {
			<-release // hangs until the others gave up
			return nil
		}
		err := c.Barrier()
		if c.Rank() == 0 {
			close(release)
		}
		return err
	})
	for r := 0; r < 2; r++ {
		err := errs[r]
		if !errors.Is(err, ErrAborted) || !strings.Contains(err.Error(), "did not complete within 50ms") || !strings.Contains(err.Error(), TimeoutEnv) {
			t.Errorf("rank %d: %v, want the watchdog's abort", r, err)
		}
	}
}

// TestLocalAbort: after one rank aborts, the other ranks' collectives fail.
func TestLocalAbort(t *testing.T) {
	errs := runLocal(t, 2, 0, func(c *Comm) error {
		if c.Rank() == 1 {
			c.Abort(3, "rank 1 gives up")
			return nil
		}
		return c.AllreduceFloat64([]float64{1}, Sum)
	})
	if !errors.Is(errs[0], ErrAborted) || !strings.Contains(errs[0].Error(), "rank 1 gives up") {
		t.Fatalf("rank 0: %v, want the abort", errs[0])
	}
}

func TestTimeoutFromEnv(t *testing.T) {
	t.Setenv(TimeoutEnv, "")
	if d, err := TimeoutFromEnv(); err != nil || d != DefaultTimeout {
		t.Fatalf("unset: %v, %v", d, err)
	}
	t.Setenv(TimeoutEnv, "90s")
	if d, err := TimeoutFromEnv(); err != nil || d != 90*time.Second {
		t.Fatalf("90s: %v, %v", d, err)
	}
	for _, bad := range []string{"soon", "-1s", "0"} {
		t.Setenv(TimeoutEnv, bad)
		if _, err := TimeoutFromEnv(); err == nil || !strings.Contains(err.Error(), TimeoutEnv) {
			t.Fatalf("%q: %v, want an error naming %s", bad, err, TimeoutEnv)
		}
	}
}

func TestShared(t *testing.T) {
	base := errors.New("boom")
	s := Shared(fmt.Errorf("wrapped: %w", base))
	if !IsShared(s) || !errors.Is(s, base) || s.Error() != "wrapped: boom" {
		t.Fatalf("Shared: %v", s)
	}
	if IsShared(base) || Shared(nil) != nil {
		t.Fatal("IsShared of a plain error, or Shared(nil) != nil")
	}
	if IsShared(Shared(s)) != true || fmt.Errorf("more: %w", s) == nil || !IsShared(fmt.Errorf("more: %w", s)) {
		t.Fatal("a wrapped shared error is shared")
	}
}

func TestFinalizeThenCollectiveFails(t *testing.T) {
	c := Single()
	if err := c.Finalize(); err != nil {
		t.Fatal(err)
	}
	if err := c.Finalize(); err != nil {
		t.Fatalf("second Finalize: %v", err)
	}
	if err := c.Barrier(); err == nil {
		t.Fatal("a collective after Finalize succeeded")
	}
}

// TestEnd: End aborts the job on an error of one rank, reports a shared
// error (and --help) on rank 0 alone, and finalises every rank.
func TestEnd(t *testing.T) {
	boom := errors.New("open /nowhere: no such file")
	t.Run("single", func(t *testing.T) {
		c := Single()
		if err := c.End("cmd", boom); err != boom {
			t.Fatalf("one rank: End = %v, want the error as it is", err)
		}
		if err := c.Barrier(); err == nil {
			t.Fatal("End did not finalise")
		}
	})
	t.Run("shared", func(t *testing.T) {
		for _, e := range []error{Shared(boom), fmt.Errorf("parse: %w", flag.ErrHelp), nil} {
			comms := make([]*Comm, 3)
			errs := runLocal(t, 3, 0, func(c *Comm) error {
				comms[c.Rank()] = c
				return c.End("cmd", e)
			})
			for r, err := range errs {
				if want := error(nil); r == 0 && e != nil {
					if err != e {
						t.Errorf("%v: rank 0: End = %v, want %v", e, err, e)
					}
				} else if err != want {
					t.Errorf("%v: rank %d: End = %v, want nil", e, r, err)
				}
				if comms[r].Barrier() == nil {
					t.Errorf("%v: rank %d was not finalised", e, r)
				}
			}
		}
	})
	t.Run("own", func(t *testing.T) {
		// Rank 1 fails alone: End aborts the job, whose other ranks,
		// waiting in a collective, fail with rank 1's message.
		errs := runLocal(t, 2, 0, func(c *Comm) error {
			if c.Rank() == 1 {
				return c.End("cmd", boom)
			}
			return c.Barrier()
		})
		if !errors.Is(errs[0], ErrAborted) || !strings.Contains(errs[0].Error(), "cmd: rank 1 of 2: open /nowhere: no such file") {
			t.Fatalf("rank 0: %v, want the abort with rank 1's message", errs[0])
		}
		if errs[1] != boom {
			t.Fatalf("rank 1: End = %v, want its own error", errs[1])
		}
	})
}

// TestWaitAll: ranks whose work ends at different times all return once
// the last is done; a rank that asks to stop makes every rank's onStop run
// once, before the others are done.
func TestWaitAll(t *testing.T) {
	if _, err := Single().WaitAll(0, nil, nil); err == nil {
		t.Fatal("WaitAll every 0s accepted")
	}
	for _, failing := range []int{-1, 2} {
		var mu sync.Mutex
		stops := 0
		errs := runLocal(t, 3, 0, func(c *Comm) error {
			r := c.Rank()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var done, stop atomic.Bool
			go func() {
				// The work: rank r takes r·40 ms, except that the
				// failing rank fails at once and the others stop when
				// told to.
				select {
				case <-time.After(time.Duration(r) * 40 * time.Millisecond):
				case <-ctx.Done():
				}
				stop.Store(r == failing)
				done.Store(true)
			}()
			if r == failing {
				stop.Store(true)
			}
			stopped, err := c.WaitAll(5*time.Millisecond, func() (bool, bool) { return done.Load(), stop.Load() }, func() {
				mu.Lock()
				stops++
				mu.Unlock()
				cancel()
			})
			if err != nil {
				return err
			}
			if stopped != (failing >= 0) {
				return fmt.Errorf("rank %d: stopped = %v", r, stopped)
			}
			if !done.Load() {
				return fmt.Errorf("rank %d: WaitAll returned before this rank was done", r)
			}
			return nil
		})
		for r, err := range errs {
			if err != nil {
				t.Fatalf("failing rank %d: rank %d: %v", failing, r, err)
			}
		}
		if want := map[bool]int{true: 3, false: 0}[failing >= 0]; stops != want {
			t.Fatalf("failing rank %d: onStop ran %d times, want %d", failing, stops, want)
		}
	}
}
