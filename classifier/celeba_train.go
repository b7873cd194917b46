package classifier

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// DefaultCelebATrainOptions are the options of the CelebA classifier that
// LoadOrTrainCelebA trains (see CelebAMinAccuracy for what they reach).
var DefaultCelebATrainOptions = TrainOptions{Epochs: 6, Batch: 64, LR: 2e-3}

// Train fits the classifier to the faces of train with Adam on the mean
// sigmoid cross-entropy over the 40 attributes (the learning rate decays
// to zero along a half cosine), visiting the faces in an order shuffled
// anew every epoch with the classifier's seed and mirroring each face
// left-right with probability 1/2 (data augmentation, also seeded; no
// CelebA attribute depends on the side). The zero fields of opts are
// those of DefaultCelebATrainOptions. It writes one line per epoch to log
// (if not nil). A cancelled ctx stops it between steps with ctx's error;
// the weights are then those of the last step.
func (c *CelebA) Train(ctx context.Context, train *CelebAFaces, opts TrainOptions, log io.Writer) error {
	o, err := opts.withDefaults(DefaultCelebATrainOptions, "classifier: celeba")
	if err != nil {
		return err
	}
	if train == nil || train.Len() == 0 {
		return fmt.Errorf("classifier: celeba: train on an empty set")
	}
	examples := train.Len()
	if o.Limit > 0 {
		examples = min(examples, o.Limit)
	}
	if o.Batch > examples {
		return fmt.Errorf("classifier: celeba: batch %d is larger than the %d training faces", o.Batch, examples)
	}
	targets := make([]float32, o.Batch*CelebAAttrs)
	rng := rand.New(rand.NewPCG(c.info.Seed, 0x6174747273))
	order := make([]int, examples)
	for i := range order {
		order[i] = i
	}
	err = c.fit(ctx, fitJob{
		o: o, perEpoch: examples / o.Batch, unit: "faces",
		loss: func(logits *G.Node) (*G.Node, error) { return sigmoidCrossEntropy(logits, &targets) },
		fill: func(_, b int, buf []float32) error {
			if b == 0 { // a new epoch: a new order
				rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			}
			for k := 0; k < o.Batch; k++ {
				i := order[b*o.Batch+k]
				face := buf[k*CelebAInputDim : (k+1)*CelebAInputDim]
				train.Example(i, face)
				if rng.IntN(2) == 1 {
					mirror(face, CelebASize)
				}
				for j, a := range train.Attrs(i) {
					targets[k*CelebAAttrs+j] = float32(a)
				}
			}
			return nil
		},
	}, log)
	if err != nil {
		return err
	}
	c.names = train.Names()
	c.info.Epochs += o.Epochs
	c.info.TrainExamples = examples
	c.info.TestAccuracy, c.info.BaselineAccuracy, c.info.TestExamples = 0, 0, 0
	return nil
}

// mirror flips a channels-first square image of side n left-right in
// place.
func mirror(img []float32, n int) {
	for r := 0; r < len(img)/n; r++ {
		row := img[r*n : (r+1)*n]
		for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
			row[i], row[j] = row[j], row[i]
		}
	}
}
