package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otgen/train"
)

// TestLearnedCostFlags: the learned-cost losses' settings are flags whose
// bad values are one-line errors naming the flag.
func TestLearnedCostFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--loss", "sinkhorn-gan", "--feature-dim", "0"}, "feature-dim"},
		{[]string{"--loss", "minibatch-w-gan", "--feature-dim", "-2"}, "feature-dim"},
		{[]string{"--loss", "sinkhorn-gan", "--cost", "l2sq"}, "cost"},
		{[]string{"--loss", "sinkhorn-gan", "--cost", "manhattan"}, "cost"},
		{[]string{"--loss", "minibatch-w-gan", "--critic-reg", "ae"}, "critic-reg"},
	} {
		var out, errb bytes.Buffer
		args := append(tc.args, "--steps", "1", "--out", filepath.Join(t.TempDir(), "run"))
		err := runArgs(args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(strings.TrimSpace(err.Error()), "\n") {
			t.Errorf("%v: %v, want a one-line error about --%s", tc.args, err, tc.want)
		}
	}
	// A valid --feature-dim reaches the model's critic.
	var out, errb bytes.Buffer
	dir := filepath.Join(t.TempDir(), "run")
	if err := runArgs([]string{"--loss", "minibatch-w-gan", "--feature-dim", "3", "--steps", "2", "--hidden", "8", "--out", dir}, &out, &errb); err != nil {
		t.Fatalf("--feature-dim 3: %v", err)
	}
	cfg, err := train.ReadConfig(filepath.Join(dir, train.CheckpointName))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Loss.Features != 3 || cfg.Model.Features != 3 {
		t.Errorf("--feature-dim 3: the loss has %d features, the critic %d", cfg.Loss.Features, cfg.Model.Features)
	}
	err = runArgs([]string{"--loss", "sinkhorn-gan", "--help"}, &out, &errb)
	if err == nil {
		t.Fatal("--help returned no error")
	}
	for _, want := range []string{"-feature-dim int", "(default 16)", "-critic-reg", "(default gp)", "(default sqeuclidean)"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("sinkhorn-gan --help does not show %q", want)
		}
	}
}

// TestLossDefaultsFollowSetSettings: a loss default that depends on another
// setting follows the value the user set: sinkhorn-gan on MNIST has the
// Euclidean cost at ε 100, and --cost sqeuclidean brings ε 1 with it
// (before, the flag changed the cost alone and left ε at 100); a set ε
// stays; --critic-loss divergence brings one feature and the rate 4e-4
// with it, where the MNIST default, the repulsive critic, has 16 and 8e-4
// (a set --lr stays); without loss flags the defaults are the loss's.
func TestLossDefaultsFollowSetSettings(t *testing.T) {
	root := os.Getenv("OTGEN_DATA")
	if root == "" {
		t.Skip("OTGEN_DATA not set: the test trains one step on $OTGEN_DATA/mnist")
	}
	for _, tc := range []struct {
		args     []string
		cost     string
		eps      float64
		features int
		lr       float64
	}{
		{nil, "euclidean", 100, 16, 8e-4},
		{[]string{"--cost", "sqeuclidean"}, "sqeuclidean", 1, 16, 8e-4},
		{[]string{"--cost", "sqeuclidean", "--eps", "10"}, "sqeuclidean", 10, 16, 8e-4},
		{[]string{"--eps", "30"}, "euclidean", 30, 16, 8e-4},
		{[]string{"--lambda", "5"}, "euclidean", 100, 16, 8e-4},
		// The repulsive critic's 16 features and rate follow from the
		// critic loss; a set rate stays.
		{[]string{"--critic-loss", "divergence"}, "euclidean", 100, 1, 4e-4},
		{[]string{"--critic-loss", "divergence", "--lr", "1e-4"}, "euclidean", 100, 1, 1e-4},
		{[]string{"--lr", "3e-4"}, "euclidean", 100, 16, 3e-4},
	} {
		dir := filepath.Join(t.TempDir(), "run")
		args := append([]string{"--data", "mnist", "--data-dir", filepath.Join(root, "mnist"), "--loss", "sinkhorn-gan",
			"--steps", "1", "--batch", "8", "--hidden", "8", "--critic", "8", "--out", dir}, tc.args...)
		var out, errb bytes.Buffer
		if err := runArgs(args, &out, &errb); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		cfg, err := train.ReadConfig(filepath.Join(dir, train.CheckpointName))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Loss.Cost != tc.cost || cfg.Loss.Eps != tc.eps || cfg.LR != tc.lr {
			t.Errorf("%v: cost %s ε %g rate %g, want %s ε %g rate %g", tc.args, cfg.Loss.Cost, cfg.Loss.Eps, cfg.LR, tc.cost, tc.eps, tc.lr)
		}
		if tc.args == nil {
			continue
		}
		if cfg.Loss.Lambda != 10 && tc.args[0] != "--lambda" || cfg.Loss.Features != tc.features || cfg.Loss.NCritic != 1 {
			t.Errorf("%v: λ %g, %d features, %d critic steps; the other settings should keep their defaults (10, %d, 1)", tc.args, cfg.Loss.Lambda, cfg.Loss.Features, cfg.Loss.NCritic, tc.features)
		}
	}
}
