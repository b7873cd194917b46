package classifier

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	G "gorgonia.org/gorgonia"

	"otgen/nn"
	"otgen/optim"
)

// DefaultCelebATrainOptions are the options of the CelebA classifier that
// LoadOrTrainCelebA trains (see CelebAMinAccuracy for what they reach).
var DefaultCelebATrainOptions = TrainOptions{Epochs: 6, Batch: 64, LR: 2e-3}

// celebaDefaults fills the zero fields of o from DefaultCelebATrainOptions
// and checks it.
func celebaDefaults(o TrainOptions) (TrainOptions, error) {
	d := DefaultCelebATrainOptions
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
		return o, fmt.Errorf("classifier: celeba: train options: %d epochs, batch %d, limit %d, learning rate %v (want positive values)", o.Epochs, o.Batch, o.Limit, o.LR)
	}
	return o, nil
}

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
	o, err := celebaDefaults(opts)
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
	g := nn.NewGraph(c.store)
	x, xt := g.Input("faces", o.Batch, CelebAInputDim)
	_, logits, err := c.logits(g, x)
	if err != nil {
		return err
	}
	targets := make([]float32, o.Batch*CelebAAttrs)
	loss, err := sigmoidCrossEntropy(logits, &targets)
	if err != nil {
		return err
	}
	params := g.Params()
	if _, err := G.Grad(loss, params...); err != nil {
		return fmt.Errorf("classifier: celeba: gradient: %w", err)
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
	rng := rand.New(rand.NewPCG(c.info.Seed, 0x6174747273))
	order := make([]int, examples)
	for i := range order {
		order[i] = i
	}
	start := time.Now()
	step := 0
	for epoch := 1; epoch <= o.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		sum := 0.0
		for b := 0; b < perEpoch; b++ {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("classifier: celeba: training stopped at step %d of %d: %w", step, total, err)
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
			vm.Reset()
			if err := vm.RunAll(); err != nil {
				return fmt.Errorf("classifier: celeba: step %d: %w", step+1, err)
			}
			l, err := nn.ScalarOf(loss.Value())
			if err != nil {
				return fmt.Errorf("classifier: celeba: step %d: %w", step+1, err)
			}
			if math.IsNaN(l) || math.IsInf(l, 0) {
				opt.ZeroGrad()
				return divergedError(fmt.Sprintf("classifier: celeba: training diverged at step %d of %d (epoch %d of %d): the loss is %v (learning rate %g; a smaller one may help)",
					step+1, total, epoch, o.Epochs, l, o.LR))
			}
			opt.LR = o.LR * 0.5 * (1 + math.Cos(math.Pi*float64(step)/float64(total)))
			if err := opt.Step(); err != nil {
				opt.ZeroGrad()
				return divergedError(fmt.Sprintf("classifier: celeba: training diverged at step %d of %d (epoch %d of %d): %v (learning rate %g; a smaller one may help)",
					step+1, total, epoch, o.Epochs, err, o.LR))
			}
			step++
			sum += l
			if o.Progress != nil {
				o.Progress(step, total, l)
			}
		}
		if log != nil {
			fmt.Fprintf(log, "epoch %d/%d: mean loss %.4f (%d steps of %d faces, %.0f s)\n",
				epoch, o.Epochs, sum/float64(perEpoch), perEpoch, o.Batch, time.Since(start).Seconds())
		}
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
