package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"otgen/classifier"
)

// evaluateCelebA prints the accuracy of the CelebA classifier saved at
// path on the held-out faces of the CelebA folder dir: the mean over the
// attributes and, per attribute, beside the majority-class baseline's.
func evaluateCelebA(stdout io.Writer, path, dir string) error {
	c, err := classifier.LoadCelebA(path)
	if err != nil {
		return trimmed{err}
	}
	train, test, err := classifier.LoadCelebAFaces(dir)
	if err != nil {
		return trimmed{err}
	}
	acc, per, err := c.Accuracy(test)
	if err != nil {
		return trimmed{err}
	}
	base, basePer := classifier.MajorityBaseline(train, test)
	fmt.Fprintf(stdout, "%s: mean attribute accuracy %.2f%% on %d held-out faces (recorded at training: %.2f%%); majority-class baseline %.2f%%\n",
		path, 100*acc, test.Len(), 100*c.Info().TestAccuracy, 100*base)
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "attribute\tclassifier %\tbaseline %\t")
	for j, name := range train.Names() {
		fmt.Fprintf(w, "%s\t%.1f\t%.1f\t\n", name, 100*per[j], 100*basePer[j])
	}
	return w.Flush()
}
