package classifier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

	"otgen/data"
)

// TrainOptions configure Train. The zero value trains as DefaultTrainOptions
// does.
type TrainOptions struct {
	// Epochs is the number of passes over the training digits (default 3).
	Epochs int
	// Batch is the number of digits per step (default 32).
	Batch int
	// LR is Adam's initial learning rate (default 2e-3); it decays to zero
	// along a half cosine over the whole run.
	LR float64
	// Limit, if positive, trains on the first Limit digits only (for quick
	// runs; the 99% accuracy needs the full training split).
	Limit int
	// Progress, if not nil, is called after every step with the number of
	// steps done, the total number of steps and the step's loss.
	Progress func(step, total int, loss float64)
}

// DefaultTrainOptions are the options that give more than 99% test accuracy.
var DefaultTrainOptions = TrainOptions{Epochs: 3, Batch: 32, LR: 2e-3}

// Train fits the classifier to the digits of train with Adam on the mean
// softmax cross-entropy, visiting the digits in an order shuffled with the
// classifier's seed and moving each digit by a random translation of at
// most one pixel along each axis (data augmentation, also seeded), and
// writes one line per epoch to log (if not nil). A
// cancelled ctx stops it between steps with ctx's error; the weights are
// then those of the last step.
func (c *Classifier) Train(ctx context.Context, train *data.MNIST, opts TrainOptions, log io.Writer) error {
	o, err := opts.withDefaults(DefaultTrainOptions, "classifier")
	if err != nil {
		return err
	}
	if train == nil || train.Len() == 0 {
		return fmt.Errorf("classifier: train on an empty set")
	}
	examples := train.Len()
	if o.Limit > 0 {
		examples = min(examples, o.Limit)
	}
	if o.Batch > examples {
		return fmt.Errorf("classifier: batch %d is larger than the %d training digits", o.Batch, examples)
	}
	var set data.Labeled = train
	if examples < train.Len() {
		set = firstN{train, examples}
	}
	batcher, err := data.NewLabeledBatcher(set, o.Batch, c.info.Seed)
	if err != nil {
		return fmt.Errorf("classifier: %w", err)
	}
	labels := make([]int, o.Batch)
	raw := make([]float32, o.Batch*InputDim)
	aug := rand.New(rand.NewPCG(c.info.Seed, 0x617567))
	err = c.fit(ctx, fitJob{
		o: o, perEpoch: examples / o.Batch, unit: "digits",
		loss: func(logits *G.Node) (*G.Node, error) { return softmaxCrossEntropy(logits, &labels) },
		fill: func(_, _ int, buf []float32) error {
			if err := batcher.NextLabeled(raw, labels); err != nil {
				return err
			}
			for k := 0; k < o.Batch; k++ {
				dx, dy := aug.IntN(2*maxShift+1)-maxShift, aug.IntN(2*maxShift+1)-maxShift
				shiftDigit(buf[k*InputDim:(k+1)*InputDim], raw[k*InputDim:(k+1)*InputDim], dx, dy)
			}
			normalize(buf)
			return nil
		},
	}, log)
	if err != nil {
		return err
	}
	c.info.Epochs += o.Epochs
	c.info.TrainExamples = examples
	c.info.TestAccuracy = 0
	return nil
}

// ErrDiverged is wrapped by the error of Train when a step's loss or
// gradient is NaN or infinite (typically a learning rate far too high);
// the message gives the step and the epoch. Train stops at that step
// without applying its gradient.
var ErrDiverged = errors.New("classifier: training diverged")

// divergedError wraps ErrDiverged without repeating its text.
type divergedError string

func (e divergedError) Error() string { return string(e) }
func (e divergedError) Unwrap() error { return ErrDiverged }

// firstN is the first n examples of a labeled set.
type firstN struct {
	data.Labeled
	n int
}

func (f firstN) Len() int { return f.n }

// maxShift is the largest translation, in pixels along each axis, of the
// training digits (data augmentation).
const maxShift = 1

// shiftDigit writes into dst the 28×28 digit src moved by dx columns and dy
// rows, filling the uncovered pixels with zeros.
func shiftDigit(dst, src []float32, dx, dy int) {
	const n = data.MNISTRows
	clear(dst)
	for y := max(0, dy); y < min(n, n+dy); y++ {
		sy := y - dy
		copy(dst[y*n+max(0, dx):y*n+min(n, n+dx)], src[sy*n+max(0, -dx):sy*n+min(n, n-dx)])
	}
}
