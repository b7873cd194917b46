// Package progress shows how far a long job is: a redrawn bar on a
// terminal, plain log lines otherwise (a file, a pipe, CI). Every command
// and the training loop use it, so a user sees one format everywhere.
package progress

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Bar is the progress display of one job of Total units.
type Bar struct {
	w        io.Writer
	label    string
	unit     string
	total    int
	logEvery int
	bar      *progressbar.ProgressBar
	start    time.Time
	from     int // units done before this display started (a resumed job)
	next     int // the next count that gets a log line
	done     bool
	now      func() time.Time
}

// Options tune a Bar; the zero value is fine.
type Options struct {
	// Unit names one unit of work in rates ("it" when empty).
	Unit string
	// LogEvery is the period, in units, of the log lines written when not
	// on a terminal (0: every tenth of the job).
	LogEvery int
	// Start is how many units were done before (a resumed job): the bar
	// starts there and rates count only what this display saw.
	Start int
}

// New returns a display for a job of total units labelled label, written
// to w: a bar when tty is true, log lines otherwise. A total <= 0 is a job
// of unknown length (one bounded by time): a spinner with the count, and
// log lines without a total, every 100 units unless LogEvery says.
func New(w io.Writer, tty bool, label string, total int, o *Options) *Bar {
	if o == nil {
		o = &Options{}
	}
	b := &Bar{w: w, label: label, unit: o.Unit, total: total, logEvery: o.LogEvery, from: o.Start, now: time.Now}
	if b.unit == "" {
		b.unit = "it"
	}
	if b.logEvery <= 0 {
		b.logEvery = max(1, total/10)
		if total <= 0 {
			b.logEvery = 100
		}
	}
	if total <= 0 {
		b.total = -1
	}
	b.start = b.now()
	b.next = (o.Start/b.logEvery + 1) * b.logEvery
	if tty {
		b.bar = progressbar.NewOptions(b.total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(b.unit),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
		)
		b.bar.Set(o.Start)
	}
	return b
}

// Set records that done units are finished; status, when not empty,
// describes the job's state (the latest metrics) in the bar or log line.
func (b *Bar) Set(done int, status string) {
	if b.done {
		return
	}
	if b.bar != nil {
		if status != "" {
			b.bar.Describe(b.label + " " + status)
		}
		b.bar.Set(done)
		return
	}
	if done < b.next && done != b.total {
		return
	}
	for b.next <= done {
		b.next += b.logEvery
	}
	el := b.now().Sub(b.start).Seconds()
	line := fmt.Sprintf("%s %d/%d", b.label, done, b.total)
	if b.total < 0 {
		line = fmt.Sprintf("%s %d", b.label, done)
	}
	if status != "" {
		line += "  " + status
	}
	line += fmt.Sprintf("  (%.1f %s/s, %.1fs)", float64(done-b.from)/max(el, 1e-9), b.unit, el)
	fmt.Fprintln(b.w, line)
}

// Finish ends the bar's line (nothing when logging). It is safe to call
// more than once.
func (b *Bar) Finish() {
	if b.done {
		return
	}
	b.done = true
	if b.bar != nil {
		b.bar.Finish()
		fmt.Fprintln(b.w)
	}
}
