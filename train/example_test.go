package train_test

import (
	"context"
	"fmt"
	"os"

	"otgen/train"
)

// Train a generator on the 8-Gaussians ring with the minibatch Wasserstein
// loss, as `go run ./cmd/train` does, in a few lines: the defaults for a
// dataset and a loss, a run folder, New, Train.
func Example() {
	dir, _ := os.MkdirTemp("", "otgen-example")
	defer os.RemoveAll(dir)

	cfg, err := train.DefaultConfig("8gaussians", "minibatch-w")
	if err != nil {
		panic(err)
	}
	cfg.Out = dir
	cfg.Steps, cfg.Batch, cfg.Loss.M = 300, 128, 128
	cfg.Model.Hidden = []int{64, 64}
	cfg.SampleEvery, cfg.CheckpointEvery = 0, 0
	r, err := train.New(cfg)
	if err != nil {
		panic(err)
	}
	defer r.Close()
	before := r.Metrics()["eval_w2"] // not evaluated yet: 0
	if err := r.Train(context.Background()); err != nil {
		panic(err)
	}
	w2 := r.Metrics()["eval_w2"]
	fmt.Println("steps:", r.Step())
	fmt.Println("evaluated:", before == 0 && w2 > 0)
	fmt.Println("W2 to the data below 1:", w2 < 1)
	_, err = os.Stat(r.CheckpointPath())
	fmt.Println("checkpoint written:", err == nil)
	// Output:
	// steps: 300
	// evaluated: true
	// W2 to the data below 1: true
	// checkpoint written: true
}
