package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otgen/checkpoints"
	"otgen/losses"
)

func toyConfig(t *testing.T, loss string, steps int) Config {
	t.Helper()
	cfg, err := DefaultConfig("8gaussians", loss)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Out = t.TempDir()
	cfg.Model.Hidden = []int{32, 32}
	cfg.Batch = 64
	if cfg.Loss.M > cfg.Batch {
		cfg.Loss.M = cfg.Batch
	}
	cfg.Steps = steps
	cfg.SampleEvery, cfg.EvalEvery, cfg.CheckpointEvery, cfg.LogEvery = 0, 0, 0, 0
	return cfg
}

func params(t *testing.T, r *Run) []float32 {
	t.Helper()
	var out []float32
	for _, ts := range r.tensors() {
		out = append(out, ts.Data...)
	}
	return out
}

// TestResumeIsExact: N steps, checkpoint, resume for M more steps gives the
// same parameters and optimiser state, bit for bit, as N+M steps, for every
// registered loss.
func TestResumeIsExact(t *testing.T) {
	for _, loss := range losses.Names() {
		t.Run(loss, func(t *testing.T) {
			checkResumeExact(t, func() Config {
				c := toyConfig(t, loss, 0)
				c.Schedule = "linear" // the schedule depends on the step only
				return c
			})
		})
	}
}

// checkResumeExact runs newConfig() for 30 steps in one go, and again
// interrupted after 17 steps and resumed from the checkpoint, and fails
// unless both end with the same parameters and optimiser state, bit for
// bit, and the resumed run's metrics.csv has one row per step.
func checkResumeExact(t *testing.T, newConfig func() Config) {
	t.Helper()
	const n, m = 17, 13
	cfgFor := func() Config {
		c := newConfig()
		c.Steps = n + m
		return c
	}
	full, err := New(cfgFor())
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	if err := full.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	part, err := New(cfgFor())
	if err != nil {
		t.Fatal(err)
	}
	// Stop after n of the n+m steps, as an interrupted run would.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for part.Step() < n {
		if err := part.iterate(); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	if err := part.Train(ctx); !errors.Is(err, ErrInterrupted) {
		t.Fatal(err)
	}
	part.Close()
	res, err := Resume(part.CheckpointPath(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if res.Step() != n {
		t.Fatalf("resumed at step %d", res.Step())
	}
	if err := res.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, b := params(t, full), params(t, res)
	if len(a) != len(b) {
		t.Fatalf("%d vs %d values", len(a), len(b))
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("value %d differs: %v uninterrupted, %v resumed", i, a[i], b[i])
		}
	}
	// The metrics table of the resumed run has one row per step (the
	// interrupted run wrote none: iterate does not log).
	csv, err := os.ReadFile(filepath.Join(res.Config.Out, MetricsName))
	if err != nil {
		t.Fatal(err)
	}
	if rows := strings.Count(string(csv), "\n"); rows != m+1 {
		t.Fatalf("metrics.csv has %d lines, want %d", rows, m+1)
	}
}

// TestWAEMMDImprovesOnEightGaussians: the MMD between generated samples and
// data at least halves in 600 steps (seeded; 0.89 -> 0.42 when written).
func TestWAEMMDImprovesOnEightGaussians(t *testing.T) {
	cfg := toyConfig(t, "wae-mmd", 600)
	cfg.Model.Hidden = []int{64, 64, 64}
	cfg.Batch = 128
	_, before, all := trainAndEvaluate(t, cfg)
	after := all["eval_mmd"]
	t.Logf("eval MMD %.4g -> %.4g", before["eval_mmd"], after)
	if !(after < before["eval_mmd"]/2) {
		t.Fatalf("eval MMD %.4g -> %.4g, want a drop by 2x", before["eval_mmd"], after)
	}
	for _, f := range []string{CheckpointName, MetricsName, "samples.png", "config.json"} {
		if _, err := os.Stat(filepath.Join(cfg.Out, f)); err != nil {
			t.Errorf("run folder: %v", err)
		}
	}
}

// TestNaNStopsAndKeepsCheckpoint: a NaN loss stops training with an error
// naming the last good checkpoint, which is left untouched.
func TestNaNStopsAndKeepsCheckpoint(t *testing.T) {
	cfg := toyConfig(t, "wae-mmd", 10)
	cfg.CheckpointEvery = 5
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(r.CheckpointPath())
	if err != nil {
		t.Fatal(err)
	}
	// Poison one parameter: the next loss is NaN.
	w, _ := r.Model.Store.Value("dec.0.w")
	w.Data().([]float32)[0] = float32(math.NaN())
	r.Config.Steps = 20
	err = r.Train(context.Background())
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), r.CheckpointPath()) || !strings.Contains(err.Error(), "step 10") {
		t.Fatalf("error %v, want a non-finite error naming the checkpoint of step 10", err)
	}
	after, err := os.ReadFile(r.CheckpointPath())
	if err != nil || !bytes.Equal(good, after) {
		t.Fatalf("checkpoint changed after NaN (%v)", err)
	}
	if _, err := checkpoints.Read(r.CheckpointPath()); err != nil {
		t.Fatal(err)
	}
}

// TestInterruptWritesCheckpoint: a cancelled context saves the current step.
func TestInterruptWritesCheckpoint(t *testing.T) {
	cfg := toyConfig(t, "vae", 7)
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	os.Remove(r.CheckpointPath())
	r.Config.Steps = 1000
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Train(ctx); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("error %v, want ErrInterrupted", err)
	}
	l, err := Load(r.CheckpointPath())
	if err != nil {
		t.Fatal(err)
	}
	if l.Step != 7 {
		t.Fatalf("checkpoint at step %d, want 7", l.Step)
	}
}

func TestResumeRefusesOtherSettings(t *testing.T) {
	cfg := toyConfig(t, "vae", 3)
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := Resume(r.CheckpointPath(), func(c *Config) { c.LR = 1 }); err == nil {
		t.Fatal("changed learning rate accepted on resume")
	}
	if _, err := Resume(filepath.Join(cfg.Out, "missing.otgen"), nil); err == nil || !strings.Contains(err.Error(), "missing.otgen") {
		t.Fatalf("missing checkpoint: %v", err)
	}
	bad := toyConfig(t, "vae", 3)
	bad.LR = -1
	if _, err := New(bad); err == nil {
		t.Fatal("negative learning rate accepted")
	}
}

func TestLRSchedule(t *testing.T) {
	cfg := Config{Steps: 100}
	for _, c := range []struct {
		schedule string
		done     int
		want     float64
	}{
		{"", 50, 1}, {"constant", 99, 1}, {"linear", 0, 1}, {"linear", 25, 0.75},
		{"linear", 100, 0}, {"cosine", 50, 0.5}, {"cosine", 0, 1},
	} {
		cfg.Schedule = c.schedule
		if got := cfg.lrFactor(c.done); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s at %d: %v, want %v", c.schedule, c.done, got, c.want)
		}
	}
	bad := toyConfig(t, "vae", 10)
	if err := bad.Validate(); err != nil {
		t.Fatal(err)
	}
	bad.Schedule = "step"
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "schedule") {
		t.Errorf("unknown schedule: %v", err)
	}
	// A run bounded by time alone has no last step to decay to.
	bad.Schedule, bad.Steps, bad.TimeBudget = "linear", UnlimitedSteps, 60
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "schedule") {
		t.Errorf("linear schedule without a last step: %v", err)
	}
	bad.Schedule = "constant"
	if err := bad.Validate(); err != nil {
		t.Errorf("constant schedule on a time budget: %v", err)
	}
}
