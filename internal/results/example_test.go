package results_test

import (
	"fmt"

	"otgen/internal/results"
)

// Two runs of a comparison, one with a reconstruction error: the metric
// columns come in table order, and the GAN's missing one is blank.
func ExampleTable() {
	rs := []results.Result{
		{Loss: "vae", Seed: 1, Steps: 100, WallS: 3.25, StepMS: 32.5, Metrics: map[string]float64{"eval_rec": 21.5, "eval_fid": 40.123456789}},
		{Loss: "wgan-gp", Seed: 1, Steps: 50, WallS: 3.5, StepMS: 70, Metrics: map[string]float64{"eval_fid": 35}},
	}
	header, rows := results.Table(rs, results.MetricOrder(rs))
	fmt.Println(header)
	for _, r := range rows {
		fmt.Printf("%q\n", r)
	}
	// Output:
	// [loss seed eval_fid eval_rec steps wall_s step_ms]
	// ["vae" "1" "40.1235" "21.5" "100" "3.25" "32.50"]
	// ["wgan-gp" "1" "35" "" "50" "3.50" "70.00"]
}
