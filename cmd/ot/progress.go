package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows how far a long job is: a bar on a terminal, otherwise a
// log line at every tenth of the work and at the end.
type progress struct {
	w     io.Writer
	label string
	total int
	bar   *progressbar.ProgressBar
	start time.Time
	next  int // the next count that gets a log line
	done  bool
}

func newProgress(w io.Writer, tty bool, label string, total int) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now(), next: max(1, total/10)}
	if tty {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
		)
	}
	return p
}

// set records that done of total units are finished.
func (p *progress) set(done int) {
	if p.bar != nil {
		p.bar.Set(done)
		return
	}
	if done >= p.next || done == p.total {
		fmt.Fprintf(p.w, "%s: %d/%d (%.1fs)\n", p.label, done, p.total, time.Since(p.start).Seconds())
		for p.next <= done {
			p.next += max(1, p.total/10)
		}
	}
}

// finish ends the bar's line.
func (p *progress) finish() {
	if p.done {
		return
	}
	p.done = true
	if p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}
