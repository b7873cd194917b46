package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFillSphere: each row of a RowSphere noise tensor is a unit vector,
// and the rows differ (the learned-cost losses' penalty directions).
func TestFillSphere(t *testing.T) {
	const rows, cols = 50, 7
	d := make([]float32, rows*cols)
	fillSphere(rand.New(rand.NewPCG(1, 2)), d, cols)
	var mean [cols]float64
	for i := 0; i < rows; i++ {
		s := 0.0
		for j := 0; j < cols; j++ {
			v := float64(d[i*cols+j])
			s += v * v
			mean[j] += v / rows
		}
		if math.Abs(s-1) > 1e-6 {
			t.Fatalf("row %d has squared length %v", i, s)
		}
	}
	if d[0] == d[cols] {
		t.Fatal("rows repeat")
	}
	for j, m := range mean {
		if math.Abs(m) > 0.3 {
			t.Errorf("coordinate %d has mean %.3f over %d rows, want about 0", j, m, rows)
		}
	}
}
