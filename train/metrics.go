package train

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"otgen/internal/atomicfile"
	"path/filepath"
	"strconv"
	"strings"
)

// MetricsName is the file name of a run's metrics table.
const MetricsName = "metrics.csv"

// openMetrics opens metrics.csv for appending. A new file gets the header;
// an existing one (a resumed run) keeps its rows up to the current step
// (rows written after the checkpoint that is being resumed are dropped, so
// that the table matches an uninterrupted run). A table written by an
// earlier otgen that lacks some of this run's columns is rewritten with
// this run's header, its values under their names and the new columns left
// empty; one with a column this run does not write is refused (rewriting
// it would lose that column). Rewrites are atomic.
func (r *Run) openMetrics() error {
	path := filepath.Join(r.Config.Out, MetricsName)
	header := "step," + strings.Join(r.columns, ",")
	old, err := os.ReadFile(path)
	src := path
	if os.IsNotExist(err) && r.ckpt != "" {
		// A resumed run moved to a new folder carries its table along.
		from := filepath.Join(filepath.Dir(r.ckpt), MetricsName)
		if b, serr := os.ReadFile(from); serr == nil {
			old, err, src = b, nil, from
		}
	}
	switch {
	case err == nil && len(old) > 0:
		keep, err := keptMetrics(string(old), header, r.step)
		if err != nil {
			return fmt.Errorf("train: %s: %w", src, err)
		}
		if cur, _ := os.ReadFile(path); !bytes.Equal(cur, keep) {
			if err := atomicfile.WriteBytes(path, keep); err != nil {
				return fmt.Errorf("train: rewrite %s: %w", path, err)
			}
		}
	case err == nil || os.IsNotExist(err):
		if err := atomicfile.WriteBytes(path, []byte(header+"\n")); err != nil {
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

// keptMetrics returns the table old rewritten under header, with the rows
// of steps up to last. Columns of old are placed by name; header's columns
// that old lacks are left empty; a column of old that header lacks is an
// error naming it.
func keptMetrics(old, header string, last int) ([]byte, error) {
	lines := strings.Split(strings.TrimRight(old, "\n"), "\n")
	want := strings.Split(header, ",")
	have := strings.Split(lines[0], ",")
	pos := make(map[string]int, len(want))
	for i, c := range want {
		pos[c] = i
	}
	to := make([]int, len(have)) // to[j]: the position of old column j
	for j, c := range have {
		i, ok := pos[c]
		if !ok {
			return nil, fmt.Errorf("has a column %q that this run does not write (its columns: %s); use another --out", c, header)
		}
		to[j] = i
	}
	var keep bytes.Buffer
	keep.WriteString(header + "\n")
	row := make([]string, len(want))
	for _, l := range lines[1:] {
		s, _, _ := strings.Cut(l, ",")
		if n, err := strconv.Atoi(s); err != nil || n > last {
			continue
		}
		if lines[0] == header {
			keep.WriteString(l + "\n")
			continue
		}
		clear(row)
		for j, v := range strings.Split(l, ",") {
			if j < len(to) {
				row[to[j]] = v
			}
		}
		keep.WriteString(strings.Join(row, ",") + "\n")
	}
	return keep.Bytes(), nil
}
