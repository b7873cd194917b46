package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"otgen/checkpoints"
	"otgen/train"
)

// runArgs runs the command with a background context.
func runArgs(args []string, stdout, stderr io.Writer) error {
	return run(context.Background(), args, stdout, stderr)
}

func TestHelpExplainsFlags(t *testing.T) {
	var out, errb bytes.Buffer
	err := runArgs([]string{"--help"}, &out, &errb)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, f := range []string{"--data", "-loss", "-steps", "-batch", "-lr", "-seed", "-out", "-resume", "-data-dir", "8gaussians", "mnist", "wae-mmd"} {
		if !strings.Contains(errb.String(), f) {
			t.Errorf("help does not mention %s", f)
		}
	}
}

// TestHelpShowsDerivedDefaults: --help prints the defaults the run would
// use given the flags before it, where a loss default follows another
// setting: sinkhorn-gan on MNIST has 16 features and the rate 8e-4 for its
// repulsive critic and one feature at 4e-4 with --critic-loss divergence,
// ε 100 for its Euclidean cost and
// 1 with --cost sqeuclidean (before, --help showed 16 and 100 whatever the
// flags); a bad flag value is still an error, not help.
func TestHelpShowsDerivedDefaults(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want map[string]string // flag -> default shown
	}{
		{nil, map[string]string{"feature-dim": "16", "eps": "100", "critic-loss": "repulsive", "cost": "euclidean", "lr": "0.0008"}},
		{[]string{"--critic-loss", "divergence"}, map[string]string{"feature-dim": "1", "eps": "100", "critic-loss": "divergence", "lr": "0.0004"}},
		{[]string{"--cost", "sqeuclidean"}, map[string]string{"feature-dim": "16", "eps": "1", "cost": "sqeuclidean"}},
		{[]string{"--time", "3m"}, map[string]string{"time": "3m0s", "feature-dim": "16"}},
	} {
		args := append([]string{"--data", "mnist", "--arch", "dcgan", "--loss", "sinkhorn-gan"}, tc.args...)
		var out, errb bytes.Buffer
		if err := runArgs(append(args, "--help"), &out, &errb); !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("%v --help: %v", args, err)
		}
		for name, want := range tc.want {
			if got := helpDefault(errb.String(), name); got != want {
				t.Errorf("%v --help: --%s (default %s), want %s", args, name, got, want)
			}
		}
	}
	var out, errb bytes.Buffer
	err := runArgs([]string{"--data", "mnist", "--loss", "sinkhorn-gan", "--feature-dim", "0", "--help"}, &out, &errb)
	if err == nil || errors.Is(err, flag.ErrHelp) || !strings.Contains(err.Error(), "feature-dim") {
		t.Errorf("--feature-dim 0 --help: %v, want an error naming feature-dim", err)
	}
}

// helpDefault returns the default that the flag package's usage text shows
// for flag name ("" when it shows none).
func helpDefault(help, name string) string {
	lines := strings.Split(help, "\n")
	for i, l := range lines {
		if f := strings.Fields(l); len(f) == 0 || f[0] != "-"+name {
			continue
		}
		for _, d := range lines[i+1:] {
			if strings.HasPrefix(d, "  -") {
				break
			}
			if _, after, ok := strings.Cut(d, "(default "); ok {
				return strings.TrimSuffix(strings.TrimSpace(after), ")")
			}
		}
		return ""
	}
	return "(no such flag)"
}

func TestTrainResumeAndErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	var out, errb bytes.Buffer
	if err := runArgs([]string{"--steps", "20", "--hidden", "16,16", "--batch", "32", "--out", dir}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	for _, f := range []string{"checkpoint.otgen", "metrics.csv", "samples.png", "config.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	// A second run into the same folder is refused; resuming works.
	if err := runArgs([]string{"--steps", "20", "--out", dir}, &out, &errb); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("rerun into a used folder: %v", err)
	}
	if err := runArgs([]string{"--resume", filepath.Join(dir, "checkpoint.otgen"), "--steps", "30"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "done: step 30") {
		t.Fatalf("output %q", out.String())
	}
	if err := runArgs([]string{"--resume", filepath.Join(dir, "checkpoint.otgen"), "--lr", "1"}, &out, &errb); err == nil {
		t.Fatal("changing --lr on resume accepted")
	}
	bad := [][]string{
		{"--data", "cifar"}, {"--loss", "gan"}, {"--lr", "-1"}, {"--batch", "1"},
		{"--hidden", "12,x"}, {"--lambda", "-2"}, {"--data", "mnist", "--data-dir", filepath.Join(t.TempDir(), "nope")},
		{"stray"}, {"--norm", "batch"}, {"--arch", "dcgan", "--data", "mnist", "--norm", "layer"},
		{"--critic-norm", "none"}, {"--arch", "dcgan", "--data", "mnist", "--loss", "vae", "--critic-norm", "none"},
		{"--arch", "dcgan", "--data", "mnist", "--loss", "wgan-gp", "--critic-norm", "batch"},
		{"--ema", "1"}, {"--ema", "-0.5"}, {"--ema", "NaN"},
	}
	for _, args := range bad {
		args = append(args, "--out", filepath.Join(t.TempDir(), "x"))
		if err := runArgs(args, &out, &errb); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// TestTimeBudget: --time ends a run after that much training, a resumed
// run keeps its budget until --time raises it, and a budget without a last
// step is refused for a schedule that decays to it.
func TestTimeBudget(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	ckpt := filepath.Join(dir, "checkpoint.otgen")
	var out, errb bytes.Buffer
	base := []string{"--hidden", "16,16", "--batch", "32", "--out", dir}
	err := runArgs(append([]string{"--time", "300ms"}, base...), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "--steps") || !strings.Contains(err.Error(), "linear") {
		t.Fatalf("--time without --steps on the linear schedule: %v", err)
	}
	for _, bad := range []string{"-1s", "soon"} {
		if err := runArgs(append([]string{"--time", bad, "--schedule", "constant"}, base...), &out, &errb); err == nil {
			t.Errorf("--time %s accepted", bad)
		}
	}
	if err := runArgs(append([]string{"--time", "300ms", "--schedule", "constant"}, base...), &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "300ms of training") {
		t.Errorf("the run does not say its budget:\n%s", out.String())
	}
	cfg, err := train.ReadConfig(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TimeBudget != 0.3 || cfg.Steps <= 0 || cfg.Steps >= train.UnlimitedSteps {
		t.Fatalf("after the budget: time %v s, steps %d", cfg.TimeBudget, cfg.Steps)
	}
	first := cfg.Steps
	out.Reset()
	if err := runArgs([]string{"--resume", ckpt}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "raise --time") {
		t.Errorf("resuming a spent budget: %q", out.String())
	}
	if err := runArgs([]string{"--resume", ckpt, "--time", "600ms"}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if cfg, err = train.ReadConfig(ckpt); err != nil {
		t.Fatal(err)
	}
	if cfg.TimeBudget != 0.6 || cfg.Steps <= first || cfg.Steps >= train.UnlimitedSteps {
		t.Errorf("after raising the budget: time %v s, steps %d (were %d)", cfg.TimeBudget, cfg.Steps, first)
	}
}

// TestInterruptExitsZeroWithCheckpoint runs the command in a child process,
// sends SIGINT while it trains, and checks that it exits 0 promptly with a
// readable checkpoint.
func TestInterruptExitsZeroWithCheckpoint(t *testing.T) {
	if os.Getenv("OTGEN_TRAIN_CHILD") == "1" {
		main()
		return
	}
	dir := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptExitsZeroWithCheckpoint$", "--",
		"--steps", "1000000", "--hidden", "16", "--out", dir)
	cmd.Env = append(os.Environ(), "OTGEN_TRAIN_CHILD=1")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until training has written its first metrics.
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
		if len(b) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, stdout.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("no exit after SIGINT")
	}
	if !strings.Contains(stdout.String(), "interrupted at step") {
		t.Fatalf("output %q", stdout.String())
	}
	if _, err := checkpoints.Read(filepath.Join(dir, "checkpoint.otgen")); err != nil {
		t.Fatal(err)
	}
}

// TestFashionMNISTWithDownload: --data fashion-mnist trains; --download
// with the files already in --data-dir verifies nothing is missing and
// fetches nothing.
func TestFashionMNISTWithDownload(t *testing.T) {
	const debian = "/usr/share/datasets/fashion-mnist"
	if _, err := os.Stat(debian); err != nil {
		t.Skip("dataset-fashion-mnist not installed: " + err.Error())
	}
	var so, se bytes.Buffer
	out := filepath.Join(t.TempDir(), "run")
	if err := runArgs([]string{"--data", "fashion-mnist", "--loss", "vae", "--download", "--data-dir", debian, "--steps", "3", "--batch", "16", "--hidden", "32", "--out", out}, &so, &se); err != nil {
		t.Fatalf("%v\n%s", err, se.String())
	}
	if !strings.Contains(so.String(), "on fashion-mnist") {
		t.Errorf("output %q", so.String())
	}
}
