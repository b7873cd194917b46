package classifier

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/checkpoints"
	"otgen/data"
	"otgen/internal/gradcheck"
	"otgen/nn"
)

// mnistDir returns $OTGEN_DATA/mnist or skips the test.
func mnistDir(t *testing.T) string {
	t.Helper()
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		t.Skip("OTGEN_DATA not set: skipping a test that needs MNIST")
	}
	return dir
}

func randomDigits(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n*InputDim)
	for i := range x {
		x[i] = float32(rng.Float64())
	}
	return x
}

// TestCrossEntropyGradient checks the cross-entropy op alone and the whole
// network's parameter gradients against central finite differences
// (float64 graph).
func TestCrossEntropyGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// The op alone, on logits with a large spread (the max-shift path).
	labels := []int{0, 4, 2, 2}
	res := lossGradient(t, nil, 4, 5, func() float64 { return 20 * rng.NormFloat64() },
		func(z *G.Node) (*G.Node, error) { return softmaxCrossEntropy(z, &labels) }, gradcheck.Options{})
	if res.MaxErr > 1 {
		t.Errorf("cross-entropy gradient: %+v", res)
	}

	// The network: every parameter, a few entries each.
	c, err := build(tensor.Float64, 7)
	if err != nil {
		t.Fatal(err)
	}
	netLabels := []int{1, 7, 3}
	res = lossGradient(t, &c.core, 3, InputDim, func() float64 { return (rng.Float64() - pixelMean) / pixelStd },
		func(logits *G.Node) (*G.Node, error) { return softmaxCrossEntropy(logits, &netLabels) },
		gradcheck.Options{MaxPerNode: 12, Rtol: 1e-4})
	if res.MaxErr > 1 || res.Checked < 100 {
		t.Errorf("network gradient: %+v", res)
	}
}

// lossGradient checks a classification loss against central differences:
// with a nil network, the loss of rows×cols logits drawn by draw, w.r.t.
// the logits; otherwise the loss of the network's logits on rows inputs of
// cols values drawn by draw, w.r.t. every parameter.
func lossGradient(t *testing.T, net *core, rows, cols int, draw func() float64, loss func(logits *G.Node) (*G.Node, error), opts gradcheck.Options) gradcheck.Result {
	t.Helper()
	s := nn.NewStore(tensor.Float64)
	if net != nil {
		s = net.store
	}
	g := nn.NewGraph(s)
	x, xt := g.Input("x", rows, cols)
	for i, d := 0, xt.Data().([]float64); i < len(d); i++ {
		d[i] = draw()
	}
	logits, wrt := x, G.Nodes{x}
	if net != nil {
		var err error
		if _, logits, err = net.logits(g, x); err != nil {
			t.Fatal(err)
		}
		wrt = g.Params()
	}
	l, err := loss(logits)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gradcheck.Check(g.G, l, wrt, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCrossEntropyValue(t *testing.T) {
	// Uniform logits: the loss is log K whatever the labels.
	s := nn.NewStore(tensor.Float64)
	g := nn.NewGraph(s)
	z, _ := g.Input("z", 2, 10)
	labels := []int{3, 9}
	loss, err := softmaxCrossEntropy(z, &labels)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g.G)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	v, _ := nn.ScalarOf(loss.Value())
	if math.Abs(v-math.Log(10)) > 1e-12 {
		t.Errorf("loss of zero logits %v, want log 10", v)
	}
	labels[1] = 10
	vm.Reset()
	if err := vm.RunAll(); err == nil || !strings.Contains(err.Error(), "label 10") {
		t.Errorf("label out of range: %v", err)
	}
}

func TestShiftDigit(t *testing.T) {
	src := make([]float32, InputDim)
	src[5*28+7] = 1 // row 5, column 7
	dst := make([]float32, InputDim)
	for _, c := range []struct{ dx, dy, row, col int }{{1, 0, 5, 8}, {-1, 1, 6, 6}, {0, -2, 3, 7}, {0, 0, 5, 7}} {
		shiftDigit(dst, src, c.dx, c.dy)
		want := c.row*28 + c.col
		for i, v := range dst {
			if (i == want) != (v == 1) || (i != want && v != 0) {
				t.Fatalf("shift (%d, %d): pixel %d is %v, want the dot at %d", c.dx, c.dy, i, v, want)
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	c, err := New(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Predict(make([]float32, 783), 1); err == nil {
		t.Error("783 pixels accepted as a digit")
	}
	if _, _, err := c.Features(nil, 0); err == nil {
		t.Error("no digits accepted")
	}
	x := make([]float32, 2*InputDim)
	x[InputDim+3] = float32(math.NaN())
	if _, err := c.Predict(x, 2); err == nil || !strings.Contains(err.Error(), "digit 1") {
		t.Errorf("NaN pixel: %v", err)
	}
	if _, err := c.Accuracy(make([]float32, InputDim), []int{1, 2}); err == nil {
		t.Error("two labels for one digit accepted")
	}
}

// TestSaveLoad round-trips an untrained classifier and checks that other
// and damaged checkpoints are refused with errors naming the file.
func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	c, err := New(5)
	if err != nil {
		t.Fatal(err)
	}
	c.info.TestAccuracy = 0.99 // at least MinAccuracy, for LoadOrTrain below
	path := filepath.Join(dir, "c.otgen")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	d, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if d.Info() != c.Info() {
		t.Errorf("info %+v, saved %+v", d.Info(), c.Info())
	}
	x := randomDigits(rand.New(rand.NewPCG(1, 1)), 700) // two inference batches
	f1, _, err := c.Features(x, 700)
	if err != nil {
		t.Fatal(err)
	}
	f2, _, err := d.Features(x, 700)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f1, f2) {
		t.Error("loaded classifier computes other features")
	}
	f4, l4, err := d.FeaturesAndLabels(x, 700)
	p4, _ := d.Predict(x, 700)
	if err != nil || !slices.Equal(f4, f1) || !slices.Equal(l4, p4) {
		t.Errorf("FeaturesAndLabels differs from Features and Predict (%v)", err)
	}
	if _, _, err := d.FeaturesAndLabels(x, -1); err == nil {
		t.Error("-1 digits accepted")
	}
	e, _ := New(6)
	f3, _, _ := e.Features(x, 700)
	if slices.Equal(f1, f3) {
		t.Error("seeds 5 and 6 give the same features")
	}

	// A damaged file.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 1
	bad := filepath.Join(dir, "bad.otgen")
	if err := os.WriteFile(bad, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); !errors.Is(err, checkpoints.ErrCorrupt) || !strings.Contains(err.Error(), bad) {
		t.Errorf("damaged file: %v", err)
	}
	// A checkpoint of another kind.
	run := filepath.Join(dir, "run.otgen")
	if err := checkpoints.Write(run, map[string]any{"kind": "otgen-run"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(run); err == nil || !strings.Contains(err.Error(), "not a classifier checkpoint") || !strings.Contains(err.Error(), run) {
		t.Errorf("training checkpoint: %v", err)
	}
	// The right kind with the wrong tensors.
	odd := filepath.Join(dir, "odd.otgen")
	if err := checkpoints.Write(odd, header{Kind: Kind}, []checkpoints.Tensor{{Name: "lenet.c1.w", Shape: []int{2}, Data: []float32{1, 2}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(odd); !errors.Is(err, checkpoints.ErrMismatch) {
		t.Errorf("wrong tensors: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.otgen")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	// LoadOrTrain loads an existing file and does not train.
	l, err := LoadOrTrain(context.Background(), path, filepath.Join(dir, "no-mnist"), nil)
	if err != nil || l.Info() != c.Info() {
		t.Errorf("LoadOrTrain of a saved classifier: %v", err)
	}
	// ... refuses a damaged one instead of training over it ...
	if _, err := LoadOrTrain(context.Background(), bad, filepath.Join(dir, "no-mnist"), nil); !errors.Is(err, checkpoints.ErrCorrupt) {
		t.Errorf("LoadOrTrain of a damaged file: %v", err)
	}
	// ... and reports missing MNIST files when it has to train.
	if _, err := LoadOrTrain(context.Background(), filepath.Join(dir, "new.otgen"), filepath.Join(dir, "no-mnist"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadOrTrain without MNIST: %v", err)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/some/cache")
	p, err := DefaultPath()
	if err != nil || p != filepath.Join("/some/cache", "otgen", FileName) {
		t.Errorf("DefaultPath() = %q, %v", p, err)
	}
}

// TestTrainDeterministic trains twice on 640 digits with one seed and
// compares the weights; a third run with another seed must differ, and the
// loss must fall.
func TestTrainDeterministic(t *testing.T) {
	train, err := data.LoadMNIST(mnistDir(t), "train")
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed uint64) ([]float32, []float64) {
		c, err := New(seed)
		if err != nil {
			t.Fatal(err)
		}
		var losses []float64
		opts := TrainOptions{Epochs: 2, Limit: 640, Progress: func(_, _ int, l float64) { losses = append(losses, l) }}
		if err := c.Train(context.Background(), train, opts, nil); err != nil {
			t.Fatal(err)
		}
		var w []float32
		for _, p := range c.store.Tensors() {
			w = append(w, p.Data...)
		}
		return w, losses
	}
	a, la := run(2)
	b, _ := run(2)
	c, _ := run(3)
	if !slices.Equal(a, b) {
		t.Error("two trainings with seed 2 differ")
	}
	if slices.Equal(a, c) {
		t.Error("seeds 2 and 3 train the same weights")
	}
	if len(la) != 40 {
		t.Fatalf("%d steps, want 2 epochs of 20", len(la))
	}
	first, last := mean(la[:5]), mean(la[35:])
	if !(last < 0.6*first) {
		t.Errorf("loss %.3f over the first 5 steps, %.3f over the last 5", first, last)
	}
	// Cancellation stops training with the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cl, _ := New(1)
	if err := cl.Train(ctx, train, TrainOptions{Limit: 640}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled training: %v", err)
	}
	if err := cl.Train(context.Background(), train, TrainOptions{Batch: 1000, Limit: 640}, nil); err == nil {
		t.Error("batch larger than the data accepted")
	}
	if err := cl.Train(context.Background(), train, TrainOptions{LR: -1}, nil); err == nil {
		t.Error("negative learning rate accepted")
	}
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// TestLoadOrTrainReaches99 trains the default classifier (seed
// DefaultSeed, DefaultTrainOptions) through LoadOrTrain and checks that it
// classifies at least 99% of the MNIST test digits correctly and that the
// saved file gives the same predictions.
func TestLoadOrTrainReaches99(t *testing.T) {
	dir := mnistDir(t)
	if testing.Short() {
		t.Skip("-short: skipping the full classifier training")
	}
	path := filepath.Join(t.TempDir(), "cache", FileName)
	var log strings.Builder
	c, err := LoadOrTrain(context.Background(), path, dir, &log)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(log.String())
	test, err := data.LoadMNIST(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	images, labels := Digits(test)
	acc, err := c.Accuracy(images, labels)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.99 {
		t.Errorf("test accuracy %.4f, want >= 0.99", acc)
	}
	if c.Info().TestAccuracy != acc || c.Info().Epochs != DefaultTrainOptions.Epochs || c.Info().TrainExamples != 60000 {
		t.Errorf("info %+v (accuracy measured %v)", c.Info(), acc)
	}
	d, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := c.Predict(images[:1000*InputDim], 1000)
	p2, err := d.Predict(images[:1000*InputDim], 1000)
	if err != nil || !slices.Equal(p1, p2) || d.Info() != c.Info() {
		t.Errorf("the saved classifier differs: %v, info %+v", err, d.Info())
	}
}
