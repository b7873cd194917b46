package dist

import (
	"errors"
	"fmt"
	"sync"
)

// ErrAborted is wrapped by the errors of the collectives of a NewLocal
// group after one of its ranks called Abort or its watchdog fired.
var ErrAborted = errors.New("dist: job aborted")

// NewLocal returns n communicators, ranks 0..n-1 of one job inside this
// process: each is meant for its own goroutine, and their collectives meet
// in memory. Reductions run in rank order on every rank, so every rank gets
// the same result, bit for bit, and the same as any other run of the same
// inputs. A collective whose kind or length differs between the ranks
// fails on every rank (MPI would hang or truncate). The watchdog's limit
// is that of OTGEN_DIST_TIMEOUT (DefaultTimeout when unset).
func NewLocal(n int) ([]*Comm, error) {
	if n < 1 {
		return nil, fmt.Errorf("dist: local job of %d ranks", n)
	}
	d, err := TimeoutFromEnv()
	if err != nil {
		return nil, err
	}
	g := &group{n: n, done: make(chan struct{}), stop: make(chan struct{}), slots: make([]slot, n)}
	out := make([]*Comm, n)
	for r := range out {
		out[r] = &Comm{t: &local{g: g, r: r}, timeout: d}
	}
	return out, nil
}

// group is the meeting point of a local job's ranks.
type group struct {
	n     int
	mu    sync.Mutex
	count int
	done  chan struct{} // closed when every rank reached the current barrier
	stop  chan struct{} // closed by abort
	err   error         // why the group was aborted
	slots []slot
}

// slot is what one rank brought to the current collective.
type slot struct {
	kind string
	data []byte
}

// wait returns once all n ranks have called it (a reusable barrier), or
// with an error once the group is aborted.
func (g *group) wait() error {
	g.mu.Lock()
	if g.err != nil {
		g.mu.Unlock()
		return g.err
	}
	ch := g.done
	g.count++
	if g.count == g.n {
		g.count = 0
		g.done = make(chan struct{})
		close(ch)
	}
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-g.stop:
		return g.aborted()
	}
}

func (g *group) aborted() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

func (g *group) abort(msg string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil {
		g.err = fmt.Errorf("%w: %s", ErrAborted, msg)
		close(g.stop)
	}
}

// local is one rank of a group.
type local struct {
	g *group
	r int
}

func (l *local) rank() int { return l.r }
func (l *local) size() int { return l.g.n }

// exchange publishes data under kind, waits for every rank, checks that
// every rank brought the same kind (and, with sameLen, the same length),
// runs read on the slots, and waits again so that no rank reuses its slot
// before the others have read it.
func (l *local) exchange(kind string, data []byte, sameLen bool, read func([]slot) error) error {
	g := l.g
	g.slots[l.r] = slot{kind: kind, data: data}
	if err := g.wait(); err != nil {
		return err
	}
	var err error
	for r, s := range g.slots {
		if s.kind != kind || (sameLen && len(s.data) != len(data)) {
			err = fmt.Errorf("rank %d called %s of %d bytes while rank %d called %s of %d bytes", r, s.kind, len(s.data), l.r, kind, len(data))
			break
		}
	}
	if err == nil {
		err = read(g.slots)
	}
	if werr := g.wait(); werr != nil {
		return werr
	}
	return err
}

func (l *local) allreduce(buf []byte, dt dtype, op Op) error {
	in := append([]byte(nil), buf...)
	return l.exchange(fmt.Sprintf("allreduce(%s, %s)", dt, op), in, true, func(s []slot) error {
		copy(buf, s[0].data)
		for r := 1; r < len(s); r++ {
			reduceInto(buf, s[r].data, dt, op)
		}
		return nil
	})
}

func (l *local) allgather(dst, src []byte) error {
	in := append([]byte(nil), src...)
	return l.exchange("allgather", in, true, func(s []slot) error {
		for r, x := range s {
			copy(dst[r*len(in):], x.data)
		}
		return nil
	})
}

func (l *local) bcast(buf []byte, root int) error {
	var in []byte
	if l.r == root {
		in = append([]byte(nil), buf...)
	}
	return l.exchange(fmt.Sprintf("broadcast(root %d)", root), in, false, func(s []slot) error {
		if len(s[root].data) != len(buf) {
			return fmt.Errorf("rank %d broadcast %d bytes into a buffer of %d", root, len(s[root].data), len(buf))
		}
		copy(buf, s[root].data)
		return nil
	})
}

func (l *local) barrier() error {
	return l.exchange("barrier", nil, true, func([]slot) error { return nil })
}

func (l *local) abort(_ int, msg string) { l.g.abort(msg) }

func (l *local) finalize() error { return nil }

// reduceInto sets dst = dst op src element-wise, both raw views of dt.
func reduceInto(dst, src []byte, dt dtype, op Op) {
	switch dt {
	case dFloat32:
		reduce(unsafeFloat32(dst), unsafeFloat32(src), op)
	case dFloat64:
		reduce(unsafeFloat64(dst), unsafeFloat64(src), op)
	default:
		reduce(dst, src, op)
	}
}

// reduce sets d = d op s element-wise, in the element type's own
// arithmetic.
func reduce[T float32 | float64 | byte](d, s []T, op Op) {
	switch op {
	case Max:
		for i := range d {
			d[i] = max(d[i], s[i])
		}
	case Min:
		for i := range d {
			d[i] = min(d[i], s[i])
		}
	default:
		for i := range d {
			d[i] += s[i]
		}
	}
}

// RunLocal runs f on every rank of a NewLocal job of n ranks, each in its
// own goroutine, waits for all of them and returns their errors by rank:
// the distributed code of a package, tested in the default build. A rank
// that ends early (an error before a collective) leaves the others
// waiting: f should end with the job's own error handling (Comm.End or
// Comm.Check), or the watchdog (OTGEN_DIST_TIMEOUT) ends the wait.
func RunLocal(n int, f func(c *Comm) error) ([]error, error) {
	comms, err := NewLocal(n)
	if err != nil {
		return nil, err
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for r, c := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[r] = f(c)
		}()
	}
	wg.Wait()
	return errs, nil
}
