package classifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/checkpoints"
	"otgen/nn"
	"otgen/optim"
)

// core is what both classifiers are made of: a trunk from one input to
// its features, a linear head from the features to the logits, their
// parameters, the forward-only graph of inference (built once) and the
// training loop. Classifier (MNIST) and CelebA add their data, loss and
// records.
type core struct {
	prefix     string // error prefix: "classifier" or "classifier: celeba"
	item       string // one input in messages: "digit", "face"
	shape      string // one input's shape in messages
	inDim      int    // values of one input
	featDim    int    // width of the feature layer
	outDim     int    // logits per input
	inferBatch int    // batch of the forward-only graph (the last one is padded with zeros)
	// prepare, if not nil, transforms a batch of inputs in place before
	// the network sees it (the MNIST pixel standardisation).
	prepare func([]float32)

	store *nn.Store
	trunk nn.Sequential // input → features (after the ReLU)
	head  *nn.Linear    // features → logits

	mu  sync.Mutex // guards fwd
	fwd *forward
}

// NumParams returns the number of trainable scalar parameters.
func (c *core) NumParams() int { return c.store.Size() }

// logits builds the network on the batch×inDim input x and returns the
// feature and logit nodes.
func (c *core) logits(g *nn.Graph, x *G.Node) (feat, logits *G.Node, err error) {
	feat, err = c.trunk.Forward(g, x)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", c.prefix, err)
	}
	logits, err = c.head.Forward(g, feat)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", c.prefix, err)
	}
	return feat, logits, nil
}

// forward is the forward-only graph of inference (batch norm in
// evaluation mode), built once.
type forward struct {
	in           *tensor.Dense
	feat, logits *G.Node
	vm           G.VM
}

// run feeds the n inputs of images through the network in batches and
// calls use with each batch's features and logits (rows of featDim and
// outDim values), the first row being input start. Padding the last batch
// with zeros does not change the other rows (batch norm uses its running
// statistics here).
func (c *core) run(images []float32, n int, use func(start, rows int, feat, logits []float32)) error {
	if n <= 0 || len(images) != n*c.inDim {
		return fmt.Errorf("%s: %d values are not %d %ss of %s", c.prefix, len(images), n, c.item, c.shape)
	}
	for i, v := range images {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%s: value %d of %s %d is %v", c.prefix, i%c.inDim, c.item, i/c.inDim, v)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fwd == nil {
		g := nn.NewGraph(c.store)
		g.SetTraining(false)
		x, xt := g.Input("inputs", c.inferBatch, c.inDim)
		feat, logits, err := c.logits(g, x)
		if err != nil {
			return err
		}
		c.fwd = &forward{in: xt, feat: feat, logits: logits, vm: G.NewTapeMachine(g.G)}
	}
	f := c.fwd
	buf := f.in.Data().([]float32)
	for start := 0; start < n; start += c.inferBatch {
		rows := min(c.inferBatch, n-start)
		copy(buf, images[start*c.inDim:(start+rows)*c.inDim])
		clear(buf[rows*c.inDim:])
		if c.prepare != nil {
			c.prepare(buf)
		}
		f.vm.Reset()
		if err := f.vm.RunAll(); err != nil {
			return fmt.Errorf("%s: forward: %w", c.prefix, err)
		}
		feat, err1 := values32(f.feat)
		logits, err2 := values32(f.logits)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("%s: forward: %w", c.prefix, err)
		}
		use(start, rows, feat[:rows*c.featDim], logits[:rows*c.outDim])
	}
	return nil
}

// values32 returns the float32 data of a node's tensor value.
func values32(n *G.Node) ([]float32, error) {
	t, ok := n.Value().(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("%s holds %T", n.Name(), n.Value())
	}
	d, ok := t.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("%s is not float32", n.Name())
	}
	return d, nil
}

// fitJob is one training run of fit.
type fitJob struct {
	o        TrainOptions // with its defaults filled in
	perEpoch int          // steps per epoch
	unit     string       // the inputs in the epoch lines: "digits", "faces"
	// loss builds the training loss on the logits of a batch.
	loss func(logits *G.Node) (*G.Node, error)
	// fill writes batch b (from 0) of epoch (from 1) into buf, the
	// network's input, and sets the loss's targets.
	fill func(epoch, b int, buf []float32) error
}

// fit trains the network: Adam on the job's loss, the learning rate
// decaying from o.LR to zero along a half cosine over all the steps, one
// line per epoch to log (if not nil). A cancelled ctx stops it between
// steps; a non-finite loss or gradient stops it before that step's update
// with an error wrapping ErrDiverged.
func (c *core) fit(ctx context.Context, j fitJob, log io.Writer) error {
	o := j.o
	g := nn.NewGraph(c.store)
	x, xt := g.Input("inputs", o.Batch, c.inDim)
	_, logits, err := c.logits(g, x)
	if err != nil {
		return err
	}
	loss, err := j.loss(logits)
	if err != nil {
		return err
	}
	params := g.Params()
	if _, err := G.Grad(loss, params...); err != nil {
		return fmt.Errorf("%s: gradient: %w", c.prefix, err)
	}
	vm := G.NewTapeMachine(g.G, G.BindDualValues(params...))
	defer vm.Close()
	opt, err := optim.New("adam", o.LR, 0.9, 0.999, params, nil)
	if err != nil {
		return err
	}
	total := j.perEpoch * o.Epochs
	buf := xt.Data().([]float32)
	start := time.Now()
	step := 0
	diverged := func(epoch int, what any) error {
		opt.ZeroGrad()
		return divergedError(fmt.Sprintf("%s: training diverged at step %d of %d (epoch %d of %d): %v (learning rate %g; a smaller one may help)",
			c.prefix, step+1, total, epoch, o.Epochs, what, o.LR))
	}
	for epoch := 1; epoch <= o.Epochs; epoch++ {
		sum := 0.0
		for b := 0; b < j.perEpoch; b++ {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("%s: training stopped at step %d of %d: %w", c.prefix, step, total, err)
			}
			if err := j.fill(epoch, b, buf); err != nil {
				return fmt.Errorf("%s: %w", c.prefix, err)
			}
			vm.Reset()
			if err := vm.RunAll(); err != nil {
				return fmt.Errorf("%s: step %d: %w", c.prefix, step+1, err)
			}
			l, err := nn.ScalarOf(loss.Value())
			if err != nil {
				return fmt.Errorf("%s: step %d: %w", c.prefix, step+1, err)
			}
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return diverged(epoch, fmt.Sprintf("the loss is %v", l))
			}
			opt.LR = o.LR * 0.5 * (1 + math.Cos(math.Pi*float64(step)/float64(total)))
			if err := opt.Step(); err != nil {
				return diverged(epoch, err)
			}
			step++
			sum += l
			if o.Progress != nil {
				o.Progress(step, total, l)
			}
		}
		if log != nil {
			fmt.Fprintf(log, "epoch %d/%d: mean loss %.4f (%d steps of %d %s, %.0f s)\n",
				epoch, o.Epochs, sum/float64(j.perEpoch), j.perEpoch, o.Batch, j.unit, time.Since(start).Seconds())
		}
	}
	return nil
}

// withDefaults fills the zero fields of o from d and checks the result;
// prefix starts the error.
func (o TrainOptions) withDefaults(d TrainOptions, prefix string) (TrainOptions, error) {
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
		return o, fmt.Errorf("%s: train options: %d epochs, batch %d, limit %d, learning rate %v (want positive values)", prefix, o.Epochs, o.Batch, o.Limit, o.LR)
	}
	return o, nil
}

// tensors returns the parameters as checkpoint tensors (sharing their
// data: Restore fills the parameters).
func (c *core) tensors() []checkpoints.Tensor {
	var ts []checkpoints.Tensor
	for _, t := range c.store.Tensors() {
		ts = append(ts, checkpoints.Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data})
	}
	return ts
}

// openCheckpoint reads the checkpoint at path, checks that its header is
// of the given kind and decodes it into h; what names the classifier in
// the errors ("classifier", "CelebA classifier"), prefix starts them.
func openCheckpoint(path, prefix, kind, what string, h any) (*checkpoints.File, error) {
	f, err := checkpoints.Read(path)
	if err != nil {
		return nil, fmt.Errorf("%s: load: %w", prefix, err)
	}
	var k struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(f.Meta, &k); err != nil {
		return nil, fmt.Errorf("%s: load %s: the header is not that of a classifier checkpoint: %w", prefix, path, err)
	}
	if k.Kind != kind {
		return nil, fmt.Errorf("%s: load %s: not a %s checkpoint (kind %q, want %q)", prefix, path, what, k.Kind, kind)
	}
	if err := json.Unmarshal(f.Meta, h); err != nil {
		return nil, fmt.Errorf("%s: load %s: the header is not that of a %s checkpoint: %w", prefix, path, what, err)
	}
	return f, nil
}

// save writes the parameters with the header h to path atomically.
func (c *core) save(path string, h any) error {
	if err := checkpoints.Write(path, h, c.tensors()); err != nil {
		return fmt.Errorf("%s: save: %w", c.prefix, err)
	}
	return nil
}

// restore sets the parameters from the checkpoint f.
func (c *core) restore(f *checkpoints.File) error {
	if err := f.Restore(c.tensors()); err != nil {
		return fmt.Errorf("%s: load: %w", c.prefix, err)
	}
	return nil
}

// cacheRules say how LoadOrTrain and LoadOrTrainCelebA keep their
// classifier C in a file: the default path, the accuracy floor, the texts
// of their messages and the functions that load, measure, train and save.
type cacheRules[C any] struct {
	def    string // the default path ("" when there is none; defErr says why)
	defErr error
	min    float64 // the accuracy floor for metrics
	name   string  // "classifier", "CelebA attribute classifier"
	acc    string  // "test accuracy", "mean attribute accuracy"
	need   string  // what needs the floor: "FID, KID and label KL"
	flags  string  // cmd/classifier's flags before --out that train a full one
	on     string  // where it is measured: "MNIST (dir)"
	from   string  // where it is trained: "MNIST (dir)"

	load     func(path string) (C, error)
	accuracy func(C) float64
	measure  func(C) error
	train    func(context.Context, io.Writer) (C, error)
	save     func(C, string) error
	saved    func(C) string // the accuracies in the "saved" line
}

// loadOrTrainCached returns the classifier saved at path (the default
// path when path is ""), training and saving one where there is none; see
// LoadOrTrain for the rules.
func loadOrTrainCached[C any](ctx context.Context, path string, r cacheRules[C], log io.Writer) (C, error) {
	var zero C
	cached, err := samePath(path, r.def)
	if err != nil {
		return zero, err
	}
	if path == "" {
		if r.def == "" {
			return zero, r.defErr
		}
		path = r.def
	}
	logf := func(format string, args ...any) {
		if log != nil {
			fmt.Fprintf(log, format, args...)
		}
	}
	c, err := r.load(path)
	switch {
	case err == nil:
		if r.accuracy(c) == 0 {
			logf("classifier: %s records no test accuracy: measuring it on %s\n", path, r.on)
			if err := r.measure(c); err != nil {
				return zero, err
			}
		}
		acc := r.accuracy(c)
		if acc >= r.min {
			return c, nil
		}
		if !cached {
			return zero, lowAccuracyError(fmt.Sprintf("classifier: %s has a %s of %.2f%%, below the %.0f%% that %s need (train a full one with: go run ./cmd/classifier %s--out %s)",
				path, r.acc, 100*acc, 100*r.min, r.need, r.flags, path))
		}
		logf("classifier: the cached %s has a %s of %.2f%%, below %.0f%%: training the default %s to replace it\n",
			path, r.acc, 100*acc, 100*r.min, r.name)
	case errors.Is(err, fs.ErrNotExist):
		if _, serr := os.Stat(path); !errors.Is(serr, fs.ErrNotExist) {
			return zero, err // the file exists but something else is wrong
		}
		logf("classifier: no %s, training the %s on %s\n", path, r.name, r.from)
	default:
		return zero, err
	}
	c, err = r.train(ctx, log)
	if err != nil {
		return zero, err
	}
	if acc := r.accuracy(c); acc < r.min {
		return zero, fmt.Errorf("classifier: the new %s reached a %s of only %.2f%%, below %.0f%%; %s was not written",
			r.name, r.acc, 100*acc, 100*r.min, path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return zero, fmt.Errorf("classifier: %w", err)
	}
	if err := r.save(c, path); err != nil {
		return zero, err
	}
	logf("classifier: saved %s (%s)\n", path, r.saved(c))
	return c, nil
}

// samePath reports whether path is "" or names the same file as def (""
// when there is no default path).
func samePath(path, def string) (bool, error) {
	if path == "" {
		return true, nil
	}
	if def == "" {
		return false, nil
	}
	a, err1 := filepath.Abs(path)
	b, err2 := filepath.Abs(def)
	if err := errors.Join(err1, err2); err != nil {
		return false, fmt.Errorf("classifier: %w", err)
	}
	return a == b, nil
}
