package eval

import (
	"fmt"
	"math"
)

// LabelKL returns the Kullback–Leibler divergence KL(p ‖ u) = Σₖ pₖ log(K pₖ)
// (natural logarithm) between the histogram p of labels over classes
// K = classes and the uniform distribution u on them: 0 when every class
// gets the same share, log K when all labels are one class. With the labels
// that a classifier (package classifier, for MNIST) predicts for generated
// samples it measures mode coverage: a generator that drops or favours
// digits gets a larger value. Labels must lie in [0, classes); classes must
// be at least 2.
func LabelKL(labels []int, classes int) (float64, error) {
	if classes < 2 {
		return 0, fmt.Errorf("eval: label kl: %d classes, want at least 2", classes)
	}
	if len(labels) == 0 {
		return 0, fmt.Errorf("eval: label kl: no labels")
	}
	counts := make([]int, classes)
	for i, l := range labels {
		if l < 0 || l >= classes {
			return 0, fmt.Errorf("eval: label kl: label %d of sample %d is not in [0, %d)", l, i, classes)
		}
		counts[l]++
	}
	n := float64(len(labels))
	kl := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			kl += p * math.Log(p*float64(classes))
		}
	}
	return math.Max(kl, 0), nil
}
