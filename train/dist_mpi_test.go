package train_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"otgen/checkpoints"
	"otgen/dist/mpitest"
	"otgen/train"
)

// These tests run cmd/train, built with the mpi tag, under mpirun with 2
// ranks on this machine (OpenMPI), against the same binary run as one
// process (no launcher: one rank).

// mpiTrain builds cmd/train with the mpi tag (once per test binary).
func mpiTrain(t *testing.T) string {
	t.Helper()
	mpitest.Mpirun(t)
	return mpitest.Build(t, "otgen/cmd/train", false)
}

// runOne runs bin args as one process and fails t unless it succeeds.
func runOne(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// runRanks runs bin args on np ranks and fails t unless the job succeeds.
func runRanks(t *testing.T, np int, bin string, args ...string) string {
	t.Helper()
	out, err := mpitest.Run(t, mpitest.Job{Ranks: np}, bin, args...)
	if err != nil {
		t.Fatalf("mpirun -np %d train %s: %v\n%s", np, strings.Join(args, " "), err, out)
	}
	return out
}

// ckptParams returns the parameters of a training checkpoint, in order.
func ckptParams(t *testing.T, path string) []float32 {
	t.Helper()
	l, err := train.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var p []float32
	for _, ts := range l.Model.Store.Tensors() {
		p = append(p, ts.Data...)
	}
	return p
}

// relDiff is max |a−b| over max |a|.
func relDiff(t *testing.T, a, b []float32) float64 {
	t.Helper()
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("parameter counts %d and %d", len(a), len(b))
	}
	d, s := 0.0, 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		s = math.Max(s, math.Abs(float64(a[i])))
	}
	return d / s
}

// sameCheckpoint fails t unless two checkpoints hold the same step and the
// same tensors (parameters and optimiser state), bit for bit.
func sameCheckpoint(t *testing.T, a, b string) {
	t.Helper()
	fa, err := checkpoints.Read(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := checkpoints.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(fa.Tensors) != len(fb.Tensors) {
		t.Fatalf("%s has %d tensors, %s %d", a, len(fa.Tensors), b, len(fb.Tensors))
	}
	for _, ta := range fa.Tensors {
		tb, ok := fb.Tensor(ta.Name)
		if !ok || len(tb.Data) != len(ta.Data) {
			t.Fatalf("tensor %s missing or resized in %s", ta.Name, b)
		}
		for i := range ta.Data {
			if math.Float32bits(ta.Data[i]) != math.Float32bits(tb.Data[i]) {
				t.Fatalf("tensor %s differs at %d: %v vs %v", ta.Name, i, ta.Data[i], tb.Data[i])
			}
		}
	}
}

// mpiTolerance bounds the relative difference of parameters trained 20
// steps by one process and by 2 ranks (float32 summation order).
const mpiTolerance = 1e-4

// TestMPIEquivalence: 2 ranks with global batch B train the same
// parameters as one process with batch B, within float32 summation
// tolerance, after 20 steps: vae and wgan-gp on 8-Gaussians, minibatch-w
// with its pairs spread over the ranks, a DCGAN WGAN-GP on MNIST, and the
// learned-cost sinkhorn-gan after one iteration.
func TestMPIEquivalence(t *testing.T) {
	bin := mpiTrain(t)
	toy := []string{"--data", "8gaussians", "--steps", "20", "--batch", "64", "--hidden", "32,32", "--seed", "3", "--sample-every", "0", "--checkpoint-every", "0"}
	cases := map[string][]string{
		"vae":         append([]string{"--loss", "vae"}, toy...),
		"wgan-gp":     append([]string{"--loss", "wgan-gp"}, toy...),
		"minibatch-w": append([]string{"--loss", "minibatch-w", "--k", "5", "--m", "32"}, toy...),
		// A learned cost, one critic and one generator step.
		"sinkhorn-gan": append(append([]string{"--loss", "sinkhorn-gan"}, toy...), "--steps", "1", "--n-critic", "1"),
	}
	// The learned cost is compared at its first critic step's divergence
	// and penalty, computed by both before any update: a wrong gather of
	// the critic's features changes them. Its parameters are not: Adam's
	// first step is lr·sign(g) per value, and the many gradient values
	// that are rounding noise step either way (one process and 2 ranks
	// part by 7e-4 after one step, 2e-3 after one iteration of 5 critic
	// steps), as far apart as a wrong gradient would put them.
	firstStep := map[string][]string{"sinkhorn-gan": {"critic/div", "critic/gp", "critic/loss"}}
	if os.Getenv("OTGEN_DATA") != "" {
		cases["mnist-dcgan-wgan-gp"] = []string{"--data", "mnist", "--arch", "dcgan", "--loss", "wgan-gp", "--channels", "8",
			"--steps", "20", "--batch", "32", "--seed", "3", "--sample-every", "0", "--checkpoint-every", "0"}
	} else {
		t.Log("OTGEN_DATA not set: the MNIST DCGAN case is left out")
	}
	for _, name := range []string{"vae", "wgan-gp", "minibatch-w", "sinkhorn-gan", "mnist-dcgan-wgan-gp"} {
		args, ok := cases[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			one, two := t.TempDir(), t.TempDir()
			runOne(t, bin, append(args, "--out", one)...)
			out := runRanks(t, 2, bin, append(args, "--out", two)...)
			if !strings.Contains(out, "per rank × 2 ranks") {
				t.Fatalf("the 2-rank job does not say how the batch is spread:\n%s", out)
			}
			if cols, ok := firstStep[name]; ok {
				m1, m2 := firstRow(t, filepath.Join(one, "metrics.csv")), firstRow(t, filepath.Join(two, "metrics.csv"))
				for _, c := range cols {
					a, b := m1[c], m2[c]
					t.Logf("%s: %s %.8g (one process), %.8g (2 ranks)", name, c, a, b)
					if !(math.Abs(a-b) <= mpiTolerance*math.Abs(a)) || a == 0 {
						t.Errorf("%s: %s is %.8g on one process and %.8g on 2 ranks, want within %g (relative)", name, c, a, b, mpiTolerance)
					}
				}
				return
			}
			d := relDiff(t, ckptParams(t, filepath.Join(one, train.CheckpointName)), ckptParams(t, filepath.Join(two, train.CheckpointName)))
			t.Logf("%s: one process and 2 ranks differ by %.2g (relative)", name, d)
			if d > mpiTolerance {
				t.Fatalf("%s: one process and 2 ranks differ by %.3g (relative), want <= %g", name, d, mpiTolerance)
			}
		})
	}
}

// firstRow returns the values of the first row of the metrics.csv at path
// by column name.
func firstRow(t *testing.T, path string) map[string]float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 {
		t.Fatalf("%s: no rows", path)
	}
	head, row := strings.Split(lines[0], ","), strings.Split(lines[1], ",")
	out := map[string]float64{}
	for i, h := range head {
		if i < len(row) {
			v, err := strconv.ParseFloat(row[i], 64)
			if err != nil {
				t.Fatalf("%s: %s = %q", path, h, row[i])
			}
			out[h] = v
		}
	}
	return out
}

// TestMPIResume: on 2 ranks, 10 steps then --resume to 20 equals 20 steps,
// bit for bit (parameters and optimiser state); the 10-step checkpoint of 2
// ranks resumes on one process, which says it is not bit for bit.
func TestMPIResume(t *testing.T) {
	bin := mpiTrain(t)
	args := []string{"--loss", "wgan-gp", "--data", "8gaussians", "--batch", "64", "--hidden", "32,32", "--seed", "5", "--sample-every", "0", "--checkpoint-every", "0"}
	full, part := t.TempDir(), t.TempDir()
	runRanks(t, 2, bin, append(args, "--steps", "20", "--out", full)...)
	runRanks(t, 2, bin, append(args, "--steps", "10", "--out", part)...)
	ckpt := filepath.Join(part, train.CheckpointName)
	b, err := os.ReadFile(ckpt) // the 10-step checkpoint, for the second half
	if err != nil {
		t.Fatal(err)
	}
	out := runRanks(t, 2, bin, "--resume", ckpt, "--steps", "20")
	if strings.Contains(out, "not bit for bit") {
		t.Fatalf("resuming a 2-rank checkpoint on 2 ranks warns:\n%s", out)
	}
	sameCheckpoint(t, filepath.Join(full, train.CheckpointName), ckpt)

	// The 10-step checkpoint of 2 ranks, resumed on one process.
	solo := t.TempDir()
	if err := os.WriteFile(filepath.Join(solo, train.CheckpointName), b, 0o644); err != nil {
		t.Fatal(err)
	}
	out = runOne(t, bin, "--resume", filepath.Join(solo, train.CheckpointName), "--steps", "20")
	if !strings.Contains(out, "written by 2 ranks, this job has 1 rank") {
		t.Fatalf("resuming 2 ranks on 1 does not say so:\n%s", out)
	}
	d := relDiff(t, ckptParams(t, filepath.Join(full, train.CheckpointName)), ckptParams(t, filepath.Join(solo, train.CheckpointName)))
	if d > mpiTolerance {
		t.Fatalf("resumed on one process, the run differs from 2 ranks by %.3g (relative)", d)
	}
}

// TestMPIKilledRank: SIGKILL of one rank mid-run ends the job with a
// non-zero status, and the last checkpoint loads and resumes.
func TestMPIKilledRank(t *testing.T) {
	bin := mpiTrain(t)
	out := t.TempDir()
	ckpt := filepath.Join(out, train.CheckpointName)
	killed := make(chan error, 1)
	j := mpitest.Job{Ranks: 2, Limit: 3 * time.Minute, Started: func(pid int) {
		go func() {
			// Wait for a checkpoint, then kill rank 1.
			for {
				if _, err := os.Stat(ckpt); err == nil {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			pids, err := mpitest.RankPIDs(pid)
			if err != nil || pids[1] == 0 {
				killed <- fmt.Errorf("rank 1's process not found under mpirun %d: %v %v", pid, pids, err)
				return
			}
			killed <- syscall.Kill(pids[1], syscall.SIGKILL)
		}()
	}}
	log, err := mpitest.Run(t, j, bin, "--loss", "vae", "--steps", "1000000", "--batch", "64", "--hidden", "32,32",
		"--checkpoint-every", "5", "--sample-every", "0", "--out", out)
	if kerr := <-killed; kerr != nil {
		t.Fatal(kerr)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the job with a killed rank ended with %v, want a non-zero exit:\n%s", err, log)
	}
	t.Logf("job status %v", err)
	l, err := train.Load(ckpt)
	if err != nil {
		t.Fatalf("the last checkpoint does not load: %v", err)
	}
	r, err := train.Resume(ckpt, func(c *train.Config) { c.Steps = l.Step + 3 })
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Train(context.Background()); err != nil {
		t.Fatalf("resuming the checkpoint left by the killed job: %v", err)
	}
}

// TestMPIRankWithoutData: a rank whose data folder does not exist fails
// the whole job, which reports that rank's message.
func TestMPIRankWithoutData(t *testing.T) {
	bin := mpiTrain(t)
	if os.Getenv("OTGEN_DATA") == "" {
		t.Skip("OTGEN_DATA not set: the test needs the real files in $OTGEN_DATA/mnist for rank 0")
	}
	missing := filepath.Join(t.TempDir(), "no-mnist-here")
	args := []string{bin, "--data", "mnist", "--loss", "vae", "--steps", "5", "--batch", "32", "--out", t.TempDir()}
	out, err := mpitest.RunMPMD(t, mpitest.Job{Limit: 3 * time.Minute},
		args, append(append([]string(nil), args...), "--data-dir", missing))
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("a job whose rank 1 has no data ended with %v, want a non-zero exit:\n%s", err, out)
	}
	if !strings.Contains(out, "rank 1: ") || !strings.Contains(out, missing) {
		t.Fatalf("the job's output does not give rank 1's error about %s:\n%s", missing, out)
	}
}
