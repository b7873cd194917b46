package train

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

// TestNonFiniteOTAndMMDLossesSayWhereTheyStopped: NaN weights in the
// generator of minibatch-w, sinkhorn and wae-mmd surfaced as Gorgonia's
// virtual-machine text ("PC 41. Failed to execute instruction ..."); now
// they stop with the loop's own one-line message naming the step and the
// last good checkpoint.
func TestNonFiniteOTAndMMDLossesSayWhereTheyStopped(t *testing.T) {
	for _, loss := range []string{"minibatch-w", "sinkhorn", "wae-mmd"} {
		t.Run(loss, func(t *testing.T) {
			cfg := toyConfig(t, loss, 4)
			r, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if err := r.Train(context.Background()); err != nil {
				t.Fatal(err)
			}
			w, _ := r.Model.Store.Value("dec.0.w")
			for i := range w.Data().([]float32) {
				w.Data().([]float32)[i] = float32(math.NaN())
			}
			r.Config.Steps = 8
			err = r.Train(context.Background())
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if !errors.Is(err, ErrNonFinite) || strings.Contains(msg, "Failed to execute") || strings.Contains(msg, "PC ") ||
				!strings.Contains(msg, "step 5") || !strings.Contains(msg, r.CheckpointPath()) || strings.Contains(msg, "\n") {
				t.Fatalf("error %q, want one line naming step 5 and the checkpoint, without VM text", msg)
			}
		})
	}
}
