// Package classifier holds the classifiers that otgen trains itself, so
// that the evaluation metrics of package eval (FID, KID, label histograms)
// need no network downloaded from the internet: a small LeNet-style
// convolutional classifier of MNIST digits (Classifier, below) and a
// CelebA attribute classifier (CelebA, in celeba.go), each cached on disk
// after its first training and refused for metrics below an accuracy
// floor.
//
// The network maps a 1×28×28 digit with pixels in [0, 1] (standardised
// inside with the MNIST pixel mean and deviation) to 10 logits:
//
//	conv 5×5, 1→16, stride 2, pad 2, ReLU     28×28 → 14×14
//	conv 3×3, 16→32, stride 2, pad 1, ReLU    14×14 → 7×7
//	conv 3×3, 32→64, stride 2, pad 1, ReLU    7×7 → 4×4
//	linear 1024→64, ReLU                      the feature layer (FeatureDim)
//	linear 64→10                              logits
//
// 89,802 parameters in all; stride-2 convolutions replace LeNet's pooling.
// Trained with Adam on the 60,000 training digits for 3 epochs (random
// one-pixel translations, DefaultTrainOptions) it classifies more than 99%
// of the 10,000 test digits correctly.
//
// A trained classifier is saved as an ordinary otgen checkpoint (package
// checkpoints) whose header says that it holds this classifier (Kind); Load
// refuses any other checkpoint with a clear error. LoadOrTrain loads the
// classifier from a cache file and trains and saves it the first time; it
// refuses (or, for the cache, retrains) a classifier whose test accuracy is
// below MinAccuracy (98%), so that no metric is computed in the feature
// space of a quick try.
package classifier

import (
	"errors"
	"math/rand/v2"

	"gorgonia.org/tensor"

	"otgen/data"
	"otgen/nn"
)

// Geometry of the classifier's input and output.
const (
	// InputDim is the number of pixels of an input digit (1×28×28).
	InputDim = data.MNISTRows * data.MNISTCols
	// Classes is the number of digit classes.
	Classes = data.MNISTClasses
	// FeatureDim is the width of the feature layer (the penultimate
	// layer) that Features returns.
	FeatureDim = 64
)

// inferBatch is the batch size of the forward-only graph of Predict and
// Features; the last partial batch is padded with zeros.
const inferBatch = 500

// Classifier is a LeNet-style MNIST classifier. Its methods are safe for
// concurrent use, except Train, which must not run concurrently with
// anything else on the same Classifier.
type Classifier struct {
	core
	info Info
	path string // the file last loaded or saved, if any
}

// Info describes how a classifier was made; Save records it in the
// checkpoint header.
type Info struct {
	// Seed is the seed of the initial weights and of the training order.
	Seed uint64 `json:"seed"`
	// Epochs and TrainExamples say how long and on how many digits the
	// classifier was trained (0 for an untrained one).
	Epochs        int `json:"epochs"`
	TrainExamples int `json:"train_examples"`
	// TestAccuracy is the accuracy measured on the MNIST test split after
	// training, or 0 if it was not measured.
	TestAccuracy float64 `json:"test_accuracy,omitempty"`
}

// New returns an untrained classifier whose weights are drawn with the
// given seed.
func New(seed uint64) (*Classifier, error) {
	return build(tensor.Float32, seed)
}

// build creates the network's parameters in a store of the given dtype
// (float64 only for gradient checks).
func build(dt tensor.Dtype, seed uint64) (*Classifier, error) {
	s := nn.NewStore(dt)
	rng := rand.New(rand.NewPCG(seed, 0x6c656e6574))
	c1, err := nn.NewConv2d(s, "lenet.c1", 1, 16, 5, 2, 2, nn.HeNormal, rng)
	if err != nil {
		return nil, err
	}
	c2, err := nn.NewConv2d(s, "lenet.c2", 16, 32, 3, 2, 1, nn.HeNormal, rng)
	if err != nil {
		return nil, err
	}
	c3, err := nn.NewConv2d(s, "lenet.c3", 32, 64, 3, 2, 1, nn.HeNormal, rng)
	if err != nil {
		return nil, err
	}
	h, w := c3.OutSize(c2.OutSize(c1.OutSize(data.MNISTRows, data.MNISTCols)))
	fc, err := nn.NewLinear(s, "lenet.fc", 64*h*w, FeatureDim, nn.HeNormal, rng)
	if err != nil {
		return nil, err
	}
	out, err := nn.NewLinear(s, "lenet.out", FeatureDim, Classes, nn.GlorotUniform, rng)
	if err != nil {
		return nil, err
	}
	trunk := nn.Sequential{
		nn.Reshape{Shape: []int{1, data.MNISTRows, data.MNISTCols}},
		c1, nn.ReLU{},
		c2, nn.ReLU{},
		c3, nn.ReLU{},
		nn.Flatten{},
		fc, nn.ReLU{},
	}
	return &Classifier{core: core{
		prefix: "classifier", item: "digit", shape: "1×28×28",
		inDim: InputDim, featDim: FeatureDim, outDim: Classes, inferBatch: inferBatch,
		prepare: normalize, store: s, trunk: trunk, head: out,
	}, info: Info{Seed: seed}}, nil
}

// Info returns how the classifier was made.
func (c *Classifier) Info() Info { return c.info }

// Predict returns the most likely digit of each of the n digits in images
// (n×784 pixels in [0, 1], row-major, as data.MNIST gives them).
func (c *Classifier) Predict(images []float32, n int) ([]int, error) {
	out := make([]int, max(n, 0))
	err := c.run(images, n, func(start, rows int, _, logits []float32) {
		for i := 0; i < rows; i++ {
			out[start+i] = argmax(logits[i*Classes : (i+1)*Classes])
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Features returns the activations of the feature layer (the penultimate
// layer, after its ReLU) for the n digits in images: n rows of dim =
// FeatureDim values, row-major. These are the features in which package
// eval computes FID and KID.
func (c *Classifier) Features(images []float32, n int) (feat []float32, dim int, err error) {
	feat = make([]float32, max(n, 0)*FeatureDim)
	err = c.run(images, n, func(start, rows int, f, _ []float32) {
		copy(feat[start*FeatureDim:], f)
	})
	if err != nil {
		return nil, 0, err
	}
	return feat, FeatureDim, nil
}

// FeaturesAndLabels returns what Features and Predict return, from one pass
// through the network (what FID, KID and LabelKL of the same samples need).
func (c *Classifier) FeaturesAndLabels(images []float32, n int) (feat []float32, labels []int, err error) {
	feat = make([]float32, max(n, 0)*FeatureDim)
	labels = make([]int, max(n, 0))
	err = c.run(images, n, func(start, rows int, f, logits []float32) {
		copy(feat[start*FeatureDim:], f)
		for i := 0; i < rows; i++ {
			labels[start+i] = argmax(logits[i*Classes : (i+1)*Classes])
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return feat, labels, nil
}

// Accuracy returns the fraction of the digits in images (len(labels)
// digits) that the classifier labels as labels says.
func (c *Classifier) Accuracy(images []float32, labels []int) (float64, error) {
	pred, err := c.Predict(images, len(labels))
	if err != nil {
		return 0, err
	}
	right := 0
	for i, p := range pred {
		if p == labels[i] {
			right++
		}
	}
	return float64(right) / float64(len(labels)), nil
}

// Evaluate returns the accuracy of the classifier on every digit of set
// (for example the MNIST test split).
func (c *Classifier) Evaluate(set *data.MNIST) (float64, error) {
	if set == nil || set.Len() == 0 {
		return 0, errors.New("classifier: evaluate on an empty set")
	}
	images, labels := Digits(set)
	return c.Accuracy(images, labels)
}

// Digits returns every digit of set as n×784 pixels in [0, 1] and its
// labels.
func Digits(set *data.MNIST) ([]float32, []int) {
	n := set.Len()
	images := make([]float32, n*InputDim)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		set.Example(i, images[i*InputDim:(i+1)*InputDim])
		labels[i] = set.Label(i)
	}
	return images, labels
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Mean and standard deviation of the MNIST training pixels; the network
// sees (pixel − pixelMean)/pixelStd.
const (
	pixelMean = 0.1307
	pixelStd  = 0.3081
)

// normalize standardises pixels in place.
func normalize(pixels []float32) {
	for i, v := range pixels {
		pixels[i] = (v - pixelMean) / pixelStd
	}
}
