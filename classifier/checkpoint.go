package classifier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"otgen/data"
)

// Kind is the "kind" of the checkpoint header of a saved classifier; Load
// refuses checkpoints of any other kind (training runs have "otgen-run").
const Kind = "otgen-lenet-mnist"

// DefaultSeed is the seed LoadOrTrain uses when it trains.
const DefaultSeed = 1

// FileName is the name of the classifier checkpoint in DefaultPath.
const FileName = "lenet-mnist.otgen"

// header is the JSON header of a classifier checkpoint.
type header struct {
	Kind        string `json:"kind"`
	Description string `json:"description"`
	Info        Info   `json:"info"`
}

// Path returns the file the classifier was last loaded from or saved to,
// or "" if neither. With Info().TestAccuracy it says whose feature space
// the metrics use.
func (c *Classifier) Path() string { return c.path }

// Save writes the classifier to the checkpoint file at path, atomically
// (the file is either left as it was or replaced by the complete
// checkpoint). The folder of path must exist.
func (c *Classifier) Save(path string) error {
	h := header{
		Kind:        Kind,
		Description: "LeNet-style MNIST classifier of otgen (package classifier): 1x28x28 pixels in [0,1] -> 10 logits",
		Info:        c.info,
	}
	if err := c.save(path, h); err != nil {
		return err
	}
	c.path = path
	return nil
}

// Load reads a classifier saved by Save. A file that is not a checkpoint, is
// damaged, or holds something else than this classifier (a training run,
// say) is an error that names the file and says what is wrong.
func Load(path string) (*Classifier, error) {
	var h header
	f, err := openCheckpoint(path, "classifier", Kind, "classifier", &h)
	if err != nil {
		return nil, err
	}
	c, err := New(h.Info.Seed)
	if err != nil {
		return nil, err
	}
	if err := c.restore(f); err != nil {
		return nil, err
	}
	c.info = h.Info
	c.path = path
	return c, nil
}

// DefaultPath returns where LoadOrTrain keeps the classifier by default:
// FileName in the folder otgen of the user's cache folder
// ($XDG_CACHE_HOME, else ~/.cache, on Linux; see os.UserCacheDir).
func DefaultPath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("classifier: no cache folder for the default path (set XDG_CACHE_HOME or HOME, or give a path): %w", err)
	}
	return filepath.Join(dir, "otgen", FileName), nil
}

// MinAccuracy is the smallest test accuracy (fraction of the 10,000 MNIST
// test digits classified correctly) of a classifier that LoadOrTrain
// accepts for metrics. FID, KID and the label histogram are computed in
// the classifier's feature space and from its labels, so a poorly trained
// one (a quick try on 100 digits reaches about 33%) gives numbers that
// mean nothing. The default training reaches 99.2%.
const MinAccuracy = 0.98

// ErrLowAccuracy is wrapped by the error of LoadOrTrain for a classifier
// file, given explicitly, whose test accuracy is below MinAccuracy.
var ErrLowAccuracy = errors.New("classifier: test accuracy too low for metrics")

// lowAccuracyError wraps ErrLowAccuracy without repeating its text.
type lowAccuracyError string

func (e lowAccuracyError) Error() string { return string(e) }
func (e lowAccuracyError) Unwrap() error { return ErrLowAccuracy }

// LoadOrTrain returns the classifier to compute metrics with: the one
// saved at path, or, when path is "", at DefaultPath (the cache).
//
// A missing file is trained (seed DefaultSeed, DefaultTrainOptions, on the
// MNIST files in mnistDir; its accuracy is measured on the test split) and
// saved at path, creating its folder. A file that cannot be loaded (not a
// checkpoint, damaged, another kind) is an error, never a reason to train
// over it.
//
// The classifier's test accuracy (Info().TestAccuracy, measured on the
// test split now if the file does not record it) must be at least
// MinAccuracy. If path was given explicitly (and is not DefaultPath), a
// file below it is an error wrapping ErrLowAccuracy that names the file
// and its accuracy. The cached default is trained again instead, and the
// new classifier atomically replaces the file. Either way the returned
// classifier's Path and Info().TestAccuracy say which file and which
// accuracy the metrics use. Progress and decisions are written to log, if
// not nil.
func LoadOrTrain(ctx context.Context, path, mnistDir string, log io.Writer) (*Classifier, error) {
	return loadOrTrain(ctx, path, mnistDir, log, trainDefault)
}

// trainDefault trains the default classifier; tests replace it.
func trainDefault(ctx context.Context, mnistDir string, log io.Writer) (*Classifier, error) {
	return TrainMNIST(ctx, mnistDir, DefaultSeed, TrainOptions{}, log)
}

// loadOrTrain is LoadOrTrain with the training function train.
func loadOrTrain(ctx context.Context, path, mnistDir string, log io.Writer,
	train func(context.Context, string, io.Writer) (*Classifier, error)) (*Classifier, error) {
	def, defErr := DefaultPath()
	source := fmt.Sprintf("MNIST (%s)", mnistDir)
	return loadOrTrainCached(ctx, path, cacheRules[*Classifier]{
		def: def, defErr: defErr, min: MinAccuracy,
		name: "classifier", acc: "test accuracy", need: "FID, KID and label KL", on: source, from: source,
		load:     Load,
		accuracy: func(c *Classifier) float64 { return c.info.TestAccuracy },
		measure:  func(c *Classifier) error { return c.measure(mnistDir) },
		train:    func(ctx context.Context, log io.Writer) (*Classifier, error) { return train(ctx, mnistDir, log) },
		save:     (*Classifier).Save,
		saved:    func(c *Classifier) string { return fmt.Sprintf("test accuracy %.2f%%", 100*c.info.TestAccuracy) },
	}, log)
}

// measure sets the recorded test accuracy from the MNIST test split in
// mnistDir.
func (c *Classifier) measure(mnistDir string) error {
	test, err := data.LoadMNIST(mnistDir, "test")
	if err != nil {
		return fmt.Errorf("classifier: %w", err)
	}
	acc, err := c.Evaluate(test)
	if err != nil {
		return err
	}
	c.info.TestAccuracy = acc
	return nil
}

// TrainMNIST trains a new classifier with the given seed and options on the
// training split of the MNIST files in mnistDir, then measures its
// accuracy on the test split (Info().TestAccuracy) and writes it to log.
func TrainMNIST(ctx context.Context, mnistDir string, seed uint64, opts TrainOptions, log io.Writer) (*Classifier, error) {
	train, err := data.LoadMNIST(mnistDir, "train")
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	test, err := data.LoadMNIST(mnistDir, "test")
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	c, err := New(seed)
	if err != nil {
		return nil, err
	}
	if err := c.Train(ctx, train, opts, log); err != nil {
		return nil, err
	}
	acc, err := c.Evaluate(test)
	if err != nil {
		return nil, err
	}
	c.info.TestAccuracy = acc
	if log != nil {
		fmt.Fprintf(log, "test accuracy %.2f%% (%d digits)\n", 100*acc, test.Len())
	}
	return c, nil
}
