package classifier

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otgen/data"
)

// TestTrainDiverges trains with a learning rate of 1e10: the loss turns
// NaN within a few steps. Before, the error was the tape machine's "PC 46.
// Failed to execute instruction softmaxCrossEntropy [CPU33] ..."; now it
// wraps ErrDiverged and says which step and epoch, in one line.
func TestTrainDiverges(t *testing.T) {
	train, err := data.LoadMNIST(mnistDir(t), "train")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(1)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Train(context.Background(), train, TrainOptions{Epochs: 2, Limit: 640, LR: 1e10}, nil)
	if !errors.Is(err, ErrDiverged) {
		t.Fatalf("error %v, want ErrDiverged", err)
	}
	msg := err.Error()
	for _, want := range []string{"classifier: training diverged at step ", " of 40 (epoch 1 of 2)", "learning rate 1e+10"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "PC ") || strings.Contains(msg, "\n") {
		t.Errorf("message %q is not one plain line", msg)
	}
	t.Log(msg)
}

// saved writes a classifier with the given recorded test accuracy (the
// weights are untrained: LoadOrTrain trusts the record) and returns it.
func saved(t *testing.T, path string, acc float64) *Classifier {
	t.Helper()
	c, err := New(3)
	if err != nil {
		t.Fatal(err)
	}
	c.info = Info{Seed: 3, Epochs: 1, TrainExamples: 100, TestAccuracy: acc}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeTrainer returns a trainer that counts its calls and returns an
// untrained classifier recording the accuracy acc.
func fakeTrainer(calls *int, acc float64) func(context.Context, string, io.Writer) (*Classifier, error) {
	return func(context.Context, string, io.Writer) (*Classifier, error) {
		*calls++
		c, err := New(DefaultSeed)
		if err != nil {
			return nil, err
		}
		c.info = Info{Seed: DefaultSeed, Epochs: 3, TrainExamples: 60000, TestAccuracy: acc}
		return c, nil
	}
}

// TestLoadOrTrainAccuracy checks the 98% floor: an explicit file below it
// is refused with a one-line error naming the file and its accuracy; the
// cached default below it is trained again and replaced; a good file is
// used as it is; Path and Info say which file and accuracy are in use.
// (Before, LoadOrTrain returned a 33%-accurate classifier without a word.)
func TestLoadOrTrainAccuracy(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	def, err := DefaultPath()
	if err != nil || !strings.HasPrefix(def, cache) {
		t.Fatalf("DefaultPath = %q, %v", def, err)
	}
	noMNIST := filepath.Join(t.TempDir(), "no-mnist")
	ctx := context.Background()

	// An explicit file below the floor: refused, not touched.
	dir := t.TempDir()
	quick := filepath.Join(dir, "quick.otgen")
	saved(t, quick, 0.331)
	before, _ := os.ReadFile(quick)
	calls := 0
	_, err = loadOrTrain(ctx, quick, noMNIST, nil, fakeTrainer(&calls, 0.992))
	if !errors.Is(err, ErrLowAccuracy) || calls != 0 {
		t.Fatalf("explicit 33%% file: error %v after %d trainings, want ErrLowAccuracy and none", err, calls)
	}
	msg := err.Error()
	if !strings.Contains(msg, quick) || !strings.Contains(msg, "33.10%") || !strings.Contains(msg, "98%") || strings.Contains(msg, "\n") {
		t.Errorf("message %q does not name the file, its accuracy and the floor in one line", msg)
	}
	t.Log(msg)
	if after, _ := os.ReadFile(quick); !bytes.Equal(before, after) {
		t.Error("the refused file was changed")
	}

	// An explicit file at the floor or above: used.
	good := filepath.Join(dir, "good.otgen")
	saved(t, good, MinAccuracy)
	c, err := loadOrTrain(ctx, good, noMNIST, nil, fakeTrainer(&calls, 0.992))
	if err != nil || calls != 0 || c.Path() != good || c.Info().TestAccuracy != MinAccuracy {
		t.Fatalf("explicit 98%% file: %v, %d trainings", err, calls)
	}

	// The cached default below the floor: trained again and replaced,
	// whether it is named by "" or by its path.
	for _, path := range []string{"", def, filepath.Join(cache, "otgen", ".", FileName)} {
		saved(t, def, 0.331)
		calls = 0
		var log strings.Builder
		c, err := loadOrTrain(ctx, path, noMNIST, &log, fakeTrainer(&calls, 0.992))
		if err != nil || calls != 1 {
			t.Fatalf("cache as %q: %v after %d trainings", path, err, calls)
		}
		if c.Path() != def || c.Info().TestAccuracy != 0.992 {
			t.Errorf("cache as %q: in use %s at %v", path, c.Path(), c.Info().TestAccuracy)
		}
		if !strings.Contains(log.String(), "33.10%, below 98%") {
			t.Errorf("cache as %q: log %q does not say why it trains", path, log.String())
		}
		d, err := Load(def)
		if err != nil || d.Info().TestAccuracy != 0.992 || d.Info().Seed != DefaultSeed {
			t.Errorf("cache as %q: the file now holds %+v (%v)", path, d.Info(), err)
		}
	}
	// A good cache is used as it is.
	calls = 0
	if c, err := loadOrTrain(ctx, "", noMNIST, nil, fakeTrainer(&calls, 0.5)); err != nil || calls != 0 || c.Path() != def {
		t.Errorf("good cache: %v, %d trainings", err, calls)
	}
	// A retraining that misses the floor writes nothing.
	saved(t, def, 0.331)
	before, _ = os.ReadFile(def)
	if _, err := loadOrTrain(ctx, "", noMNIST, nil, fakeTrainer(&calls, 0.5)); err == nil || !strings.Contains(err.Error(), "was not written") {
		t.Errorf("retraining below the floor: %v", err)
	}
	if after, _ := os.ReadFile(def); !bytes.Equal(before, after) {
		t.Error("a retraining below the floor replaced the cache")
	}
	// A missing explicit file is trained and saved there.
	fresh := filepath.Join(dir, "sub", "fresh.otgen")
	calls = 0
	if c, err := loadOrTrain(ctx, fresh, noMNIST, nil, fakeTrainer(&calls, 0.992)); err != nil || calls != 1 || c.Path() != fresh {
		t.Errorf("missing explicit file: %v, %d trainings", err, calls)
	}
	// A folder where the file should be is an error, not a training.
	calls = 0
	if _, err := loadOrTrain(ctx, dir, noMNIST, nil, fakeTrainer(&calls, 0.992)); err == nil || calls != 0 || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("folder as the file: %v, %d trainings", err, calls)
	}
}

// TestLoadOrTrainMeasures loads a file that records no accuracy: the
// accuracy is measured on the MNIST test split (an untrained network is
// near chance, so the explicit file is refused).
func TestLoadOrTrainMeasures(t *testing.T) {
	dir := mnistDir(t)
	path := filepath.Join(t.TempDir(), "unmeasured.otgen")
	saved(t, path, 0)
	calls := 0
	_, err := loadOrTrain(context.Background(), path, dir, nil, fakeTrainer(&calls, 0.992))
	if !errors.Is(err, ErrLowAccuracy) || calls != 0 {
		t.Fatalf("unmeasured untrained file: %v, %d trainings", err, calls)
	}
	t.Log(err)
}
