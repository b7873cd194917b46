package classifier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	G "gorgonia.org/gorgonia"

	"otgen/data"
	"otgen/nn"
	"otgen/optim"
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

func (o TrainOptions) withDefaults() (TrainOptions, error) {
	d := DefaultTrainOptions
	if o.Epochs == 0 {
		o.Epochs = d.Epochs
	}
	if o.Batch == 0 {
		o.Batch = d.Batch
	}
	if o.LR == 0 {
		o.LR = d.LR
	}
	if o.Epochs < 0 || o.Batch < 0 || o.Limit < 0 || !(o.LR > 0) || math.IsInf(o.LR, 0) {
		return o, fmt.Errorf("classifier: train options: %d epochs, batch %d, limit %d, learning rate %v (want positive values)", o.Epochs, o.Batch, o.Limit, o.LR)
	}
	return o, nil
}

// Train fits the classifier to the digits of train with Adam on the mean
// softmax cross-entropy, visiting the digits in an order shuffled with the
// classifier's seed and moving each digit by a random translation of at
// most one pixel along each axis (data augmentation, also seeded), and
// writes one line per epoch to log (if not nil). A
// cancelled ctx stops it between steps with ctx's error; the weights are
// then those of the last step.
func (c *Classifier) Train(ctx context.Context, train *data.MNIST, opts TrainOptions, log io.Writer) error {
	o, err := opts.withDefaults()
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
	g := nn.NewGraph(c.store)
	x, xt := g.Input("digits", o.Batch, InputDim)
	_, logits, err := c.logits(g, x)
	if err != nil {
		return err
	}
	labels := make([]int, o.Batch)
	loss, err := softmaxCrossEntropy(logits, &labels)
	if err != nil {
		return err
	}
	params := g.Params()
	if _, err := G.Grad(loss, params...); err != nil {
		return fmt.Errorf("classifier: gradient: %w", err)
	}
	vm := G.NewTapeMachine(g.G, G.BindDualValues(params...))
	defer vm.Close()
	opt, err := optim.New("adam", o.LR, 0.9, 0.999, params, nil)
	if err != nil {
		return err
	}
	perEpoch := examples / o.Batch
	total := perEpoch * o.Epochs
	buf := xt.Data().([]float32)
	raw := make([]float32, len(buf))
	aug := rand.New(rand.NewPCG(c.info.Seed, 0x617567))
	start := time.Now()
	step := 0
	for epoch := 1; epoch <= o.Epochs; epoch++ {
		sum := 0.0
		for i := 0; i < perEpoch; i++ {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("classifier: training stopped at step %d of %d: %w", step, total, err)
			}
			if err := batcher.NextLabeled(raw, labels); err != nil {
				return fmt.Errorf("classifier: %w", err)
			}
			for k := 0; k < o.Batch; k++ {
				dx, dy := aug.IntN(2*maxShift+1)-maxShift, aug.IntN(2*maxShift+1)-maxShift
				shiftDigit(buf[k*InputDim:(k+1)*InputDim], raw[k*InputDim:(k+1)*InputDim], dx, dy)
			}
			normalize(buf)
			vm.Reset()
			if err := vm.RunAll(); err != nil {
				return fmt.Errorf("classifier: step %d: %w", step+1, err)
			}
			l, err := nn.ScalarOf(loss.Value())
			if err != nil {
				return fmt.Errorf("classifier: step %d: %w", step+1, err)
			}
			if math.IsNaN(l) || math.IsInf(l, 0) {
				opt.ZeroGrad()
				return divergedError(fmt.Sprintf("classifier: training diverged at step %d of %d (epoch %d of %d): the loss is %v (learning rate %g; a smaller one may help)",
					step+1, total, epoch, o.Epochs, l, o.LR))
			}
			opt.LR = o.LR * 0.5 * (1 + math.Cos(math.Pi*float64(step)/float64(total)))
			if err := opt.Step(); err != nil {
				opt.ZeroGrad()
				return divergedError(fmt.Sprintf("classifier: training diverged at step %d of %d (epoch %d of %d): %v (learning rate %g; a smaller one may help)",
					step+1, total, epoch, o.Epochs, err, o.LR))
			}
			step++
			sum += l
			if o.Progress != nil {
				o.Progress(step, total, l)
			}
		}
		if log != nil {
			fmt.Fprintf(log, "epoch %d/%d: mean loss %.4f (%d steps of %d digits, %.0f s)\n",
				epoch, o.Epochs, sum/float64(perEpoch), perEpoch, o.Batch, time.Since(start).Seconds())
		}
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
