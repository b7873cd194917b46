package classifier_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"otgen/classifier"
	"otgen/data"
	"otgen/eval"
)

// A classifier maps digits (784 pixels in [0, 1] each) to labels and to
// the 64 features of its penultimate layer; this one is untrained.
func Example() {
	c, err := classifier.New(1)
	if err != nil {
		log.Fatal(err)
	}
	digits := make([]float32, 3*classifier.InputDim) // three blank digits
	feat, dim, err := c.Features(digits, 3)
	if err != nil {
		log.Fatal(err)
	}
	labels, err := c.Predict(digits, 3)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(feat), dim, len(labels), c.NumParams())
	// Output: 192 64 3 89802
}

// LoadOrTrain trains the classifier the first time (about two minutes on
// two cores) and loads it from the cache afterwards; its features give the
// FID of generated digits.
func ExampleLoadOrTrain() {
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		log.Fatal(err)
	}
	path, err := classifier.DefaultPath()
	if err != nil {
		log.Fatal(err)
	}
	c, err := classifier.LoadOrTrain(context.Background(), path, dir, os.Stderr)
	if err != nil {
		log.Fatal(err)
	}
	test, err := data.LoadMNIST(dir, "test")
	if err != nil {
		log.Fatal(err)
	}
	real, _ := classifier.Digits(test)
	fake := real[:5000*classifier.InputDim] // stand-in for generated digits
	fr, dim, err := c.Features(real[5000*classifier.InputDim:], 5000)
	if err != nil {
		log.Fatal(err)
	}
	ff, _, err := c.Features(fake, 5000)
	if err != nil {
		log.Fatal(err)
	}
	fid, err := eval.FID(fr, ff, dim)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("FID %.2f\n", fid)
}
