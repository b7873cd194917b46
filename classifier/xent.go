package classifier

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
)

// softmaxCrossEntropy returns the mean softmax cross-entropy of the N×K
// logits against the integer labels held in *labels (one per row,
// 0 <= label < K):
//
//	L = (1/N) Σ_i [ log Σ_k exp(z_ik) − z_i,y_i ].
//
// The forward pass computes it stably (the row maximum is subtracted
// before exponentiating) and caches the gradient (softmax(z_i) − e_y_i)/N.
// The labels are read at every run, so the caller refills them between
// runs.
func softmaxCrossEntropy(logits *G.Node, labels *[]int) (*G.Node, error) {
	n, k := 0, 0
	if logits.Dims() == 2 {
		n, k = logits.Shape()[0], logits.Shape()[1]
	}
	return applyLoss(logits, "softmaxCrossEntropy", "cross-entropy", func(z func(int) float64, grad []float64) (float64, error) {
		ys := *labels
		if len(ys) != n {
			return 0, fmt.Errorf("%d labels for %d rows", len(ys), n)
		}
		inv := 1 / float64(n)
		loss := 0.0
		for i, y := range ys {
			if y < 0 || y >= k {
				return 0, fmt.Errorf("label %d of row %d is not in [0, %d)", y, i, k)
			}
			row := grad[i*k : (i+1)*k]
			mx := math.Inf(-1)
			for j := range row {
				row[j] = z(i*k + j)
				mx = max(mx, row[j])
			}
			zy := row[y]
			sum := 0.0
			for j, v := range row {
				row[j] = math.Exp(v - mx)
				sum += row[j]
			}
			loss += mx + math.Log(sum) - zy
			for j := range row {
				row[j] *= inv / sum
			}
			row[y] -= inv
		}
		return loss * inv, nil
	})
}
