package train

import (
	"os"
	"testing"
)

// TestVAEImprovesOnMNIST: the negative ELBO on 2,000 held-out MNIST digits
// falls by at least 150 nats per digit within 300 steps (seeded); it starts
// near 544 nats (784·log 2, an untrained Bernoulli decoder).
func TestVAEImprovesOnMNIST(t *testing.T) {
	if os.Getenv("OTGEN_DATA") == "" {
		t.Skip("OTGEN_DATA not set: the MNIST test needs the real files in $OTGEN_DATA/mnist")
	}
	cfg, err := DefaultConfig("mnist", "vae")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Out = t.TempDir()
	cfg.Model.Hidden = []int{256}
	cfg.Steps = 300
	cfg.SampleEvery, cfg.EvalEvery, cfg.CheckpointEvery, cfg.LogEvery = 0, 0, 0, 0
	_, before, all := trainAndEvaluate(t, cfg)
	after := all["test_nelbo"]
	t.Logf("held-out negative ELBO %.1f -> %.1f nats", before["test_nelbo"], after)
	if !(after < before["test_nelbo"]-150) {
		t.Fatalf("held-out negative ELBO %.1f -> %.1f, want a drop of 150 nats", before["test_nelbo"], after)
	}
	if _, err := os.Stat(cfg.Out + "/samples.png"); err != nil {
		t.Fatal(err)
	}
}
