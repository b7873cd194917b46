package dist

import (
	"fmt"
	"time"
)

// WaitAll keeps the ranks of a job in touch while each does work of its
// own, of unequal length (cmd/compare's runs, say), and returns on every
// rank once every rank is done. Every interval, every rank joins one small
// allreduce of its state, as state reports it: whether its work is done,
// and whether it asks the job to stop (an error, or Ctrl-C). The first
// round in which some rank asks to stop calls onStop (unless nil) on every
// rank, once: it should make this rank's work end soon (cancel its
// context). WaitAll returns nil once every rank is done, and whether some
// rank asked to stop.
//
// Run it in a goroutine of its own beside the work, which must not use
// the communicator meanwhile. One collective that waits for the slowest
// rank's work would sit in MPI's busy wait and trip the watchdog after
// Timeout; here each round completes at once, the ranks sleep between
// rounds, and the watchdog still ends the job if a rank stops answering.
func (c *Comm) WaitAll(interval time.Duration, state func() (done, stop bool), onStop func()) (stopped bool, err error) {
	if interval <= 0 {
		return false, fmt.Errorf("dist: WaitAll every %v: want a positive interval", interval)
	}
	buf := make([]float64, 2)
	for round := 0; ; round++ {
		done, stop := state()
		buf[0], buf[1] = 0, 0
		if done {
			buf[0] = 1
		}
		if stop {
			buf[1] = 1
		}
		if err := c.AllreduceFloat64(buf, Sum); err != nil {
			return stopped, fmt.Errorf("dist: WaitAll round %d: %w", round, err)
		}
		if buf[1] > 0 && !stopped {
			stopped = true
			if onStop != nil {
				onStop()
			}
		}
		if int(buf[0]) == c.Size() {
			return stopped, nil
		}
		time.Sleep(interval)
	}
}
