package train

import (
	"fmt"
	"math"

	"otgen/models"
	"otgen/nn"
)

// emaPrefix starts the checkpoint names of the generator's averaged
// tensors: "ema/dec.fc.w" is the moving average of "dec.fc.w".
const emaPrefix = "ema/"

// averaged is one generator tensor (a parameter or a batch-normalisation
// buffer) and its exponential moving average.
type averaged struct {
	name  string
	shape []int
	live  []float32
	avg   []float32
}

// newAverages allocates the moving averages of the generator's tensors for
// a run with Config.EMA > 0 (nil otherwise), equal to the live tensors.
func newAverages(cfg Config, s *nn.Store) []averaged {
	if cfg.EMA <= 0 {
		return nil
	}
	var out []averaged
	for _, t := range s.Tensors() {
		if !models.IsGenerator(t.Name) {
			continue
		}
		out = append(out, averaged{name: t.Name, shape: t.Shape, live: t.Data, avg: append([]float32(nil), t.Data...)})
	}
	return out
}

// resetAverages sets every average to its live tensor (a new run's start,
// after the ranks have shared their initial parameters).
func (r *Run) resetAverages() {
	for _, a := range r.ema {
		copy(a.avg, a.live)
	}
}

// updateAverages moves every average towards its live tensor after an
// iteration: avg += (1 − decay)·(live − avg), the exponential moving average
// of the generator's weights (Yazıcı et al., "The Unusual Effectiveness of
// Averaging in GAN Training", ICLR 2019, eq. 2).
func (r *Run) updateAverages() {
	w := float32(1 - r.Config.EMA)
	for _, a := range r.ema {
		avg := a.avg[:len(a.live)]
		for i, v := range a.live {
			avg[i] += w * (v - avg[i])
		}
	}
}

// withAverages runs f with the averaged generator in the model's store (for
// evaluation and figures) and puts the live tensors back afterwards.
func (r *Run) withAverages(f func() error) error {
	r.swapAverages()
	defer r.swapAverages()
	return f()
}

// swapAverages exchanges the live and averaged values of every generator
// tensor in place.
func (r *Run) swapAverages() {
	for _, a := range r.ema {
		for i, v := range a.live {
			a.live[i], a.avg[i] = a.avg[i], v
		}
	}
}

// validEMA reports whether decay is an EMA setting Validate accepts:
// 0 (off) or a decay in (0, 1).
func validEMA(decay float64) error {
	if decay == 0 {
		return nil
	}
	if !(decay > 0 && decay < 1) || math.IsNaN(decay) {
		return fmt.Errorf("train: EMA decay %v, want 0 (off) or a number in (0, 1) such as 0.999", decay)
	}
	return nil
}
