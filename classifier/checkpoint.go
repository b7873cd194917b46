package classifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"otgen/checkpoints"
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

// Save writes the classifier to the checkpoint file at path, atomically
// (the file is either left as it was or replaced by the complete
// checkpoint). The folder of path must exist.
func (c *Classifier) Save(path string) error {
	var ts []checkpoints.Tensor
	for _, t := range c.store.Tensors() {
		ts = append(ts, checkpoints.Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data})
	}
	h := header{
		Kind:        Kind,
		Description: "LeNet-style MNIST classifier of otgen (package classifier): 1x28x28 pixels in [0,1] -> 10 logits",
		Info:        c.info,
	}
	if err := checkpoints.Write(path, h, ts); err != nil {
		return fmt.Errorf("classifier: save: %w", err)
	}
	return nil
}

// Load reads a classifier saved by Save. A file that is not a checkpoint, is
// damaged, or holds something else than this classifier (a training run,
// say) is an error that names the file and says what is wrong.
func Load(path string) (*Classifier, error) {
	f, err := checkpoints.Read(path)
	if err != nil {
		return nil, fmt.Errorf("classifier: load: %w", err)
	}
	var h header
	if err := json.Unmarshal(f.Meta, &h); err != nil {
		return nil, fmt.Errorf("classifier: load %s: the header is not that of a classifier checkpoint: %w", path, err)
	}
	if h.Kind != Kind {
		return nil, fmt.Errorf("classifier: load %s: not a classifier checkpoint (kind %q, want %q)", path, h.Kind, Kind)
	}
	c, err := New(h.Info.Seed)
	if err != nil {
		return nil, err
	}
	var ts []checkpoints.Tensor
	for _, t := range c.store.Tensors() {
		ts = append(ts, checkpoints.Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data})
	}
	if err := f.Restore(ts); err != nil {
		return nil, fmt.Errorf("classifier: load: %w", err)
	}
	c.info = h.Info
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

// LoadOrTrain loads the classifier saved at path. If there is no file at
// path, it trains a new one (seed DefaultSeed, DefaultTrainOptions) on the
// training split of the MNIST files in mnistDir, measures its accuracy on
// the test split, creates the folder of path and saves it there, writing
// its progress to log (if not nil). A file at path that cannot be loaded is
// an error, not a reason to train again.
func LoadOrTrain(ctx context.Context, path, mnistDir string, log io.Writer) (*Classifier, error) {
	c, err := Load(path)
	if err == nil {
		return c, nil
	}
	if _, serr := os.Stat(path); !errors.Is(serr, fs.ErrNotExist) {
		return nil, err
	}
	if log != nil {
		fmt.Fprintf(log, "classifier: no %s, training one on MNIST (%s)\n", path, mnistDir)
	}
	c, err = TrainMNIST(ctx, mnistDir, DefaultSeed, TrainOptions{}, log)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	if err := c.Save(path); err != nil {
		return nil, err
	}
	if log != nil {
		fmt.Fprintf(log, "classifier: saved %s (test accuracy %.2f%%)\n", path, 100*c.info.TestAccuracy)
	}
	return c, nil
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
