package classifier

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
)

// sigmoidCrossEntropy returns the mean sigmoid (binary) cross-entropy of
// the N×K logits against the 0/1 targets held in *targets (N×K,
// row-major), the loss of multi-label classification:
//
//	L = (1/(N·K)) Σ_ik [ log(1 + exp(z_ik)) − y_ik·z_ik ],
//
// computed stably as max(z, 0) − y·z + log(1 + exp(−|z|)). The forward
// pass caches the gradient (σ(z_ik) − y_ik)/(N·K). The targets are read
// at every run, so the caller refills them between runs.
func sigmoidCrossEntropy(logits *G.Node, targets *[]float32) (*G.Node, error) {
	n, k := 0, 0
	if logits.Dims() == 2 {
		n, k = logits.Shape()[0], logits.Shape()[1]
	}
	return applyLoss(logits, "sigmoidCrossEntropy", "sigmoid cross-entropy", func(z func(int) float64, grad []float64) (float64, error) {
		y := *targets
		if len(y) != n*k {
			return 0, fmt.Errorf("%d targets for %d×%d logits", len(y), n, k)
		}
		inv := 1 / float64(n*k)
		loss := 0.0
		for i, t := range y {
			if t != 0 && t != 1 {
				return 0, fmt.Errorf("target %v of row %d, column %d is not 0 or 1", t, i/k, i%k)
			}
			v := z(i)
			loss += math.Max(v, 0) - float64(t)*v + math.Log1p(math.Exp(-math.Abs(v)))
			grad[i] = (sigmoid(v) - float64(t)) * inv
		}
		return loss * inv, nil
	})
}

// sigmoid is the logistic function, without overflow for large |v|.
func sigmoid(v float64) float64 {
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}
