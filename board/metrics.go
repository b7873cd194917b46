package board

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrCorrupt is wrapped by the errors of files that cannot be read as
// what they should be (a metrics table with a bad row, a PNG that is not
// one).
var ErrCorrupt = errors.New("corrupt")

// Metrics is a run's metrics.csv: the header's columns, the first being
// "step", and one row per complete line. A value is NaN where the cell is
// empty (evaluation columns are filled only every few steps).
type Metrics struct {
	// Columns are the header's names; Columns[0] is "step".
	Columns []string
	// Rows hold one value per column.
	Rows [][]float64
}

// ParseMetrics reads metrics.csv as train writes it: a header starting
// with "step", then rows of as many comma-separated numbers (or empty
// cells). A last line without its newline is a row still being written
// and is left out, so a file read while a run appends to it parses. A
// malformed header or complete row is an error wrapping ErrCorrupt that
// names the line.
func ParseMetrics(b []byte) (*Metrics, error) {
	end := bytes.LastIndexByte(b, '\n')
	if end < 0 {
		if len(b) == 0 {
			return nil, fmt.Errorf("%w: empty", ErrCorrupt)
		}
		return nil, fmt.Errorf("%w: no complete header line", ErrCorrupt)
	}
	lines := strings.Split(string(b[:end]), "\n")
	header := strings.Split(strings.TrimSuffix(lines[0], "\r"), ",")
	if header[0] != "step" {
		return nil, fmt.Errorf("%w: line 1: header starts with %q, want \"step\"", ErrCorrupt, header[0])
	}
	for i, c := range header {
		if c == "" {
			return nil, fmt.Errorf("%w: line 1: column %d has no name", ErrCorrupt, i+1)
		}
	}
	m := &Metrics{Columns: header, Rows: make([][]float64, 0, len(lines)-1)}
	prev := math.Inf(-1)
	for i, l := range lines[1:] {
		l = strings.TrimSuffix(l, "\r")
		cells := strings.Split(l, ",")
		if len(cells) != len(header) {
			return nil, fmt.Errorf("%w: line %d has %d fields, the header %d", ErrCorrupt, i+2, len(cells), len(header))
		}
		row := make([]float64, len(cells))
		for j, c := range cells {
			if c == "" {
				if j == 0 {
					return nil, fmt.Errorf("%w: line %d has no step", ErrCorrupt, i+2)
				}
				row[j] = math.NaN()
				continue
			}
			v, err := strconv.ParseFloat(c, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d, column %s: %q is not a number", ErrCorrupt, i+2, header[j], c)
			}
			row[j] = v
		}
		if row[0] <= prev {
			return nil, fmt.Errorf("%w: line %d: step %g does not follow step %g", ErrCorrupt, i+2, row[0], prev)
		}
		prev = row[0]
		m.Rows = append(m.Rows, row)
	}
	return m, nil
}

// jsonRows returns the rows with NaN and infinities as nil, for JSON.
func (m *Metrics) jsonRows() [][]*float64 {
	out := make([][]*float64, len(m.Rows))
	for i, r := range m.Rows {
		o := make([]*float64, len(r))
		for j := range r {
			if !math.IsNaN(r[j]) && !math.IsInf(r[j], 0) {
				o[j] = &r[j]
			}
		}
		out[i] = o
	}
	return out
}
