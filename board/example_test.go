package board_test

import (
	"fmt"

	"otgen/board"
)

// ParseMetrics reads a metrics.csv that a run is still writing: the last
// line, without its newline, is left out until it is complete.
func ExampleParseMetrics() {
	m, err := board.ParseMetrics([]byte("step,loss,eval_w2\n1,0.9,\n2,0.7,0.31\n3,0.6"))
	fmt.Println(m.Columns, len(m.Rows), m.Rows[1], err)
	// Output:
	// [step loss eval_w2] 2 [2 0.7 0.31] <nil>
}
