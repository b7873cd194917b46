package progress

import (
	"strings"
	"testing"
	"time"
)

func TestLogLines(t *testing.T) {
	var sb strings.Builder
	b := New(&sb, false, "step", 100, &Options{LogEvery: 25})
	clock := b.start
	b.now = func() time.Time { return clock }
	for i := 1; i <= 100; i++ {
		clock = clock.Add(10 * time.Millisecond)
		b.Set(i, "loss=1")
	}
	b.Finish()
	lines := strings.Split(strings.TrimSpace(sb.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want 4 (every 25 of 100):\n%s", len(lines), sb.String())
	}
	if want := "step 100/100  loss=1  (100.0 it/s, 1.0s)"; lines[3] != want {
		t.Errorf("last line %q, want %q", lines[3], want)
	}
}

func TestResumedStartsAtItsStep(t *testing.T) {
	var sb strings.Builder
	b := New(&sb, false, "step", 100, &Options{LogEvery: 10, Start: 37})
	b.Set(38, "")
	b.Set(39, "")
	if sb.Len() != 0 {
		t.Fatalf("logged before the next period: %q", sb.String())
	}
	b.Set(40, "")
	if !strings.HasPrefix(sb.String(), "step 40/100") {
		t.Fatalf("got %q, want a line at step 40", sb.String())
	}
}

func TestDefaultPeriodIsATenth(t *testing.T) {
	var sb strings.Builder
	b := New(&sb, false, "pairs", 50, nil)
	for i := 1; i <= 50; i++ {
		b.Set(i, "")
	}
	if n := strings.Count(sb.String(), "\n"); n != 10 {
		t.Fatalf("%d lines, want 10", n)
	}
}

func TestBarOnTerminal(t *testing.T) {
	var sb strings.Builder
	b := New(&sb, true, "training", 10, &Options{Unit: "step"})
	for i := 1; i <= 10; i++ {
		b.Set(i, "")
	}
	b.Finish()
	b.Finish()
	if !strings.Contains(sb.String(), "10/10") || !strings.HasSuffix(sb.String(), "\n") {
		t.Fatalf("bar output %q lacks the count or the final newline", sb.String())
	}
}

// TestUnknownTotal: a job bounded by time (total 0) logs its count every
// 100 units without a made-up total, and its terminal bar is a spinner.
func TestUnknownTotal(t *testing.T) {
	var sb strings.Builder
	b := New(&sb, false, "step", 0, nil)
	for i := 1; i <= 250; i++ {
		b.Set(i, "loss=1")
	}
	b.Finish()
	lines := strings.Split(strings.TrimSpace(sb.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "step 100  loss=1") || !strings.HasPrefix(lines[1], "step 200  loss=1") {
		t.Fatalf("got:\n%s\nwant lines at steps 100 and 200 without a total", sb.String())
	}
	var tty strings.Builder
	b = New(&tty, true, "step", 0, nil)
	b.Set(5, "loss=1")
	b.Finish()
	if strings.Contains(tty.String(), "/0") || !strings.Contains(tty.String(), "5") {
		t.Errorf("terminal: %q, want the count without a total", tty.String())
	}
}
