package main

import (
	"bytes"
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
