package classifier_test

import (
	"testing"

	"otgen/classifier"
	"otgen/train"
)

// TestCelebAHeldOutMatchesTrain: the classifier's held-out faces are the
// ones package train holds out of generative training, so that FID against
// held-out faces uses faces neither network was trained on.
func TestCelebAHeldOutMatchesTrain(t *testing.T) {
	if classifier.CelebAHeldOut != train.CelebAHeldOut {
		t.Errorf("classifier holds out %v of CelebA, train %v", classifier.CelebAHeldOut, train.CelebAHeldOut)
	}
}
