package train

import (
	"testing"

	"otgen/eval"
)

// TestPeerModes: a mode counts for eval_modes_peer from 20 of 2,500
// samples (0.8%) on it, the peers' rule, while eval_modes asks for 5%.
func TestPeerModes(t *testing.T) {
	samples := make([]float32, 0, 2*2500)
	modes := [][2]float64{{0, 0}, {10, 0}, {0, 10}, {10, 10}}
	// 20, 19, 125 and 2,336 samples on the modes.
	for k, n := range []int{20, 19, 125, 2336} {
		for i := 0; i < n; i++ {
			samples = append(samples, float32(modes[k][0]), float32(modes[k][1]))
		}
	}
	c, err := eval.ModeCoverage(samples, modes, 0.1, 3, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if got := peerModes(c); got != 3 {
		t.Errorf("peer rule: %d modes covered, want 3 (shares %v)", got, c.Share)
	}
	if c.Covered != 2 {
		t.Errorf("5%% rule: %d modes covered, want 2", c.Covered)
	}
}
