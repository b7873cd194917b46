package train

import (
	"context"
	"testing"
)

// trainAndEvaluate starts the run of cfg, evaluates it before training,
// trains it for cfg.Steps and returns it (closed when the test ends) with
// its metrics before and after: the prologue of every "training improves
// a metric" test.
func trainAndEvaluate(t *testing.T, cfg Config) (r *Run, before, after map[string]float64) {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if before, err = r.Evaluate(); err != nil {
		t.Fatal(err)
	}
	if err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r, before, r.Metrics()
}
