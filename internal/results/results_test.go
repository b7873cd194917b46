package results

import (
	"strings"
	"testing"
)

// TestMetricOrder: the table puts each mode-coverage rule beside the
// other (the peers' rule right after otgen's) and a metric unknown to the
// ranking after the ranked ones, so a column's place does not depend on
// its name's spelling.
func TestMetricOrder(t *testing.T) {
	r := []Result{{Metrics: map[string]float64{"eval_hq": 1, "eval_modes_peer": 1, "eval_w2": 1, "eval_modes": 1, "eval_zz": 1, "eval_latent_mmd": 1, "step": 1}}}
	got := strings.Join(MetricOrder(r), ",")
	if want := "eval_w2,eval_modes,eval_modes_peer,eval_hq,eval_latent_mmd,eval_zz"; got != want {
		t.Errorf("order %s, want %s", got, want)
	}
}
