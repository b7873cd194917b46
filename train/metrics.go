package train

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// MetricsName is the file name of a run's metrics table.
const MetricsName = "metrics.csv"

// openMetrics opens metrics.csv for appending. A new file gets the header;
// an existing one (a resumed run) must have the same header, and rows past
// the current step (written after the checkpoint that is being resumed)
// are dropped so that the table matches an uninterrupted run.
func (r *Run) openMetrics() error {
	path := filepath.Join(r.Config.Out, MetricsName)
	header := "step," + strings.Join(r.columns, ",")
	old, err := os.ReadFile(path)
	if os.IsNotExist(err) && r.ckpt != "" {
		// A resumed run moved to a new folder carries its table along.
		if b, serr := os.ReadFile(filepath.Join(filepath.Dir(r.ckpt), MetricsName)); serr == nil {
			old, err = b, nil
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				return fmt.Errorf("train: create %s: %w", path, err)
			}
		}
	}
	switch {
	case err == nil && len(old) > 0:
		lines := strings.Split(strings.TrimRight(string(old), "\n"), "\n")
		if lines[0] != header {
			return fmt.Errorf("train: %s has columns %q, this run writes %q; use another --out", path, lines[0], header)
		}
		var keep bytes.Buffer
		keep.WriteString(header + "\n")
		for _, l := range lines[1:] {
			s, _, _ := strings.Cut(l, ",")
			if n, err := strconv.Atoi(s); err == nil && n <= r.step {
				keep.WriteString(l + "\n")
			}
		}
		if cur, _ := os.ReadFile(path); !bytes.Equal(cur, keep.Bytes()) {
			if err := os.WriteFile(path, keep.Bytes(), 0o644); err != nil {
				return fmt.Errorf("train: rewrite %s: %w", path, err)
			}
		}
	case err == nil || os.IsNotExist(err):
		if err := os.WriteFile(path, []byte(header+"\n"), 0o644); err != nil {
			return fmt.Errorf("train: create %s: %w", path, err)
		}
	default:
		return fmt.Errorf("train: read %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("train: open %s: %w", path, err)
	}
	r.metricsF, r.metrics = f, bufio.NewWriter(f)
	return nil
}

// writeMetrics appends the current step's row; evaluation columns are empty
// unless withEval.
func (r *Run) writeMetrics(withEval bool) error {
	if r.metrics == nil {
		return nil
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(r.step))
	for i, c := range r.columns {
		b.WriteByte(',')
		if i >= r.nTrainColumns && !withEval {
			continue
		}
		if v, ok := r.last[c]; ok {
			b.WriteString(strconv.FormatFloat(v, 'g', 8, 64))
		}
	}
	b.WriteByte('\n')
	if _, err := r.metrics.WriteString(b.String()); err != nil {
		return fmt.Errorf("train: write %s: %w", MetricsName, err)
	}
	return nil
}

func (r *Run) flushMetrics() error {
	if r.metrics == nil {
		return nil
	}
	if err := r.metrics.Flush(); err != nil {
		return fmt.Errorf("train: write %s: %w", MetricsName, err)
	}
	return nil
}

func (r *Run) closeMetrics() error {
	if r.metricsF == nil {
		return nil
	}
	err := r.flushMetrics()
	if cerr := r.metricsF.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("train: close %s: %w", MetricsName, cerr)
	}
	r.metrics, r.metricsF = nil, nil
	return err
}
