package classifier

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkFeaturesAndLabels: features and labels of 10,000 digits (what
// FID, KID and LabelKL of 10,000 generated digits need).
func BenchmarkFeaturesAndLabels(b *testing.B) {
	c, err := New(1)
	if err != nil {
		b.Fatal(err)
	}
	x := randomDigits(rand.New(rand.NewPCG(1, 2)), 10000)
	for b.Loop() {
		if _, _, err := c.FeaturesAndLabels(x, 10000); err != nil {
			b.Fatal(err)
		}
	}
}
