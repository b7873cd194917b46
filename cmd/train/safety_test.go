package main

// Tests that no command line loses, overwrites or mixes a run (issue
// "Runs are safe"). Each names the behaviour of the code before the fix.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"otgen/checkpoints"
	"otgen/train"
)

// quick are the flags of a small, fast toy run.
var quick = []string{"--hidden", "16,16", "--batch", "32", "--m", "32"}

func trainQuick(t *testing.T, out string, steps int, extra ...string) {
	t.Helper()
	args := append(append([]string{"--steps", strconv.Itoa(steps), "--out", out}, quick...), extra...)
	var so, se bytes.Buffer
	if err := runArgs(args, &so, &se); err != nil {
		t.Fatalf("train %v: %v\n%s", args, err, se.String())
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// snapshot reads every file of a run folder.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files[p] = readFile(t, p)
		}
		return nil
	})
	return files
}

func sameSnapshot(t *testing.T, what string, a, b map[string][]byte) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("%s: %d files before, %d after", what, len(a), len(b))
	}
	for p, x := range a {
		if !bytes.Equal(x, b[p]) {
			t.Errorf("%s: %s changed", what, p)
		}
	}
}

func metricSteps(t *testing.T, path string) []int {
	t.Helper()
	var steps []int
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, path)))
	sc.Scan()
	for sc.Scan() {
		f, _, _ := strings.Cut(sc.Text(), ",")
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("%s: row %q", path, sc.Text())
		}
		steps = append(steps, n)
	}
	return steps
}

func wantSteps(t *testing.T, path string, n int) {
	t.Helper()
	got := metricSteps(t, path)
	if len(got) != n {
		t.Fatalf("%s: %d rows, want %d (steps %v)", path, len(got), n, got)
	}
	for i, s := range got {
		if s != i+1 {
			t.Fatalf("%s: rows %v, want 1..%d once each", path, got, n)
		}
	}
}

// TestResumeIntoAnotherRunIsRefused: --resume A --out B, where B holds
// another run, replaced B's checkpoint and mixed the two metrics.csv.
func TestResumeIntoAnotherRunIsRefused(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "A"), filepath.Join(dir, "B")
	trainQuick(t, a, 10)
	trainQuick(t, b, 10, "--seed", "2")
	before := snapshot(t, b)
	var so, se bytes.Buffer
	err := runArgs([]string{"--resume", filepath.Join(a, train.CheckpointName), "--steps", "25", "--out", b}, &so, &se)
	if err == nil || !strings.Contains(err.Error(), b) || !strings.Contains(err.Error(), a) {
		t.Fatalf("resume into another run: %v, want an error naming both folders", err)
	}
	sameSnapshot(t, "B", before, snapshot(t, b))
}

// TestResumeOfACopyWritesTheCopy: resuming a copied folder wrote to the
// folder recorded in the checkpoint, i.e. overwrote the original.
func TestResumeOfACopyWritesTheCopy(t *testing.T) {
	dir := t.TempDir()
	base, cp := filepath.Join(dir, "base"), filepath.Join(dir, "copy")
	trainQuick(t, base, 10)
	if out, err := exec.Command("cp", "-r", base, cp).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	before := snapshot(t, base)
	var so, se bytes.Buffer
	if err := runArgs([]string{"--resume", filepath.Join(cp, train.CheckpointName), "--steps", "15"}, &so, &se); err != nil {
		t.Fatal(err)
	}
	sameSnapshot(t, "the original", before, snapshot(t, base))
	wantSteps(t, filepath.Join(cp, train.MetricsName), 15)
	l, err := train.Load(filepath.Join(cp, train.CheckpointName))
	if err != nil || l.Step != 15 {
		t.Fatalf("copy's checkpoint: step %v, %v", l, err)
	}
}

// TestResumeFromAnotherDirectory: a run started with a relative --out and
// resumed from another working directory started a new folder there.
func TestResumeFromAnotherDirectory(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Mkdir(filepath.Join(dir, "a"), 0o755)
	os.Mkdir(filepath.Join(dir, "b"), 0o755)
	os.Chdir(filepath.Join(dir, "a"))
	trainQuick(t, "rel", 10)
	os.Chdir(filepath.Join(dir, "b"))
	var so, se bytes.Buffer
	if err := runArgs([]string{"--resume", filepath.Join(dir, "a", "rel", train.CheckpointName), "--steps", "12"}, &so, &se); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b", "rel")); err == nil {
		t.Fatal("resume created a new folder in the working directory")
	}
	wantSteps(t, filepath.Join(dir, "a", "rel", train.MetricsName), 12)
}

// TestResumeIntoANewFolder: --out naming a missing folder continues the run
// there with its whole metrics table, and leaves the original as it was; a
// finished run resumed into a new folder writes nothing and says so (it
// printed paths it never wrote).
func TestResumeIntoANewFolder(t *testing.T) {
	dir := t.TempDir()
	a, c, d := filepath.Join(dir, "A"), filepath.Join(dir, "C"), filepath.Join(dir, "D")
	trainQuick(t, a, 10)
	before := snapshot(t, a)
	var so, se bytes.Buffer
	if err := runArgs([]string{"--resume", filepath.Join(a, train.CheckpointName), "--steps", "15", "--out", c}, &so, &se); err != nil {
		t.Fatal(err)
	}
	sameSnapshot(t, "A", before, snapshot(t, a))
	wantSteps(t, filepath.Join(c, train.MetricsName), 15)
	so.Reset()
	if err := runArgs([]string{"--resume", filepath.Join(a, train.CheckpointName), "--out", d}, &so, &se); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d); err == nil {
		t.Error("a finished run resumed into a new folder created it")
	}
	if strings.Contains(so.String(), d) || !strings.Contains(so.String(), "nothing to train") {
		t.Errorf("output %q names a folder it did not write", so.String())
	}
	// A folder with other files in it is not a place to continue a run.
	os.MkdirAll(d, 0o755)
	os.WriteFile(filepath.Join(d, "notes.txt"), []byte("mine"), 0o644)
	if err := runArgs([]string{"--resume", filepath.Join(a, train.CheckpointName), "--steps", "12", "--out", d}, &so, &se); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("resume into a non-empty folder: %v", err)
	}
	if b := readFile(t, filepath.Join(d, "notes.txt")); string(b) != "mine" {
		t.Fatal("notes.txt changed")
	}
}

// TestResumeAcceptsRepeatedSettings: a flag equal to the checkpoint's value
// is accepted on --resume; a changed one is refused with the list of the
// flags that may change.
func TestResumeAcceptsRepeatedSettings(t *testing.T) {
	a := filepath.Join(t.TempDir(), "A")
	trainQuick(t, a, 10)
	ck := filepath.Join(a, train.CheckpointName)
	var so, se bytes.Buffer
	if err := runArgs([]string{"--resume", ck, "--steps", "12", "--batch", "32", "--hidden", "16,16", "--loss", "mbw", "--data", "8gaussians", "--lr", "0.002", "--sample-every", "3"}, &so, &se); err != nil {
		t.Fatalf("repeating the checkpoint's settings: %v", err)
	}
	err := runArgs([]string{"--resume", ck, "--steps", "14", "--batch", "64"}, &so, &se)
	if err == nil || !strings.Contains(err.Error(), "--batch") || !strings.Contains(err.Error(), "--steps, --time, --out") {
		t.Fatalf("changing --batch: %v", err)
	}
}

// TestFigureFailureKeepsTheCheckpoint: the sample figure was written before
// the checkpoint, so a figure that could not be written (here: "samples" is
// a file, not a folder) ended the run with no checkpoint at all.
func TestFigureFailureKeepsTheCheckpoint(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "samples"), []byte("in the way"), 0o644)
	var so, se bytes.Buffer
	err := runArgs(append([]string{"--steps", "8", "--out", out, "--sample-every", "0", "--checkpoint-every", "0"}, quick...), &so, &se)
	if err == nil || !strings.Contains(err.Error(), "is intact") {
		t.Fatalf("a failed figure: %v, want an error saying the checkpoint is intact", err)
	}
	l, err := train.Load(filepath.Join(out, train.CheckpointName))
	if err != nil || l.Step != 8 {
		t.Fatalf("checkpoint after a failed figure: %v %v", l, err)
	}
}

// child runs the command in a child process (see
// TestInterruptExitsZeroWithCheckpoint) and returns it started.
func child(t *testing.T, stdout io.Writer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestInterruptExitsZeroWithCheckpoint$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "OTGEN_TRAIN_CHILD=1")
	cmd.Stdout = stdout
	cmd.Stderr = stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// waitFor polls until path exists.
func waitFor(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTwoProcessesOnOneFolder: two trains (or a resume while the original
// runs) wrote the same folder and both exited 0 with interleaved metrics.
func TestTwoProcessesOnOneFolder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	var log bytes.Buffer
	cmd := child(t, &log, append([]string{"--steps", "1000000", "--checkpoint-every", "5", "--out", out}, quick...)...)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	ck := filepath.Join(out, train.CheckpointName)
	waitFor(t, ck)
	pid := strconv.Itoa(cmd.Process.Pid)
	var so, se bytes.Buffer
	err := runArgs([]string{"--resume", ck, "--steps", "2000000"}, &so, &se)
	if err == nil || !strings.Contains(err.Error(), "in use by PID "+pid) {
		t.Fatalf("resume while the run trains: %v, want in use by PID %s", err, pid)
	}
	rows := len(metricSteps(t, filepath.Join(out, train.MetricsName)))
	err = runArgs(append([]string{"--steps", "10", "--out", out}, quick...), &so, &se)
	if err == nil || !(strings.Contains(err.Error(), "in use by PID "+pid) || strings.Contains(err.Error(), "already holds a run")) {
		t.Fatalf("a second train on the folder: %v", err)
	}
	steps := metricSteps(t, filepath.Join(out, train.MetricsName))
	if len(steps) < rows {
		t.Fatalf("metrics.csv lost rows: %d, then %d", rows, len(steps))
	}
	for i, s := range steps {
		if s != i+1 {
			t.Fatalf("metrics.csv rows are mixed: %v", steps[:min(len(steps), i+3)])
		}
	}
}

// TestSIGKILLAtManyPoints kills a run that checkpoints at every step at
// random moments: the checkpoint on disk always loads, and the next start
// in the folder removes the temporary files a killed write left behind.
func TestSIGKILLAtManyPoints(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	ck := filepath.Join(out, train.CheckpointName)
	rng := rand.New(rand.NewPCG(1, 2))
	args := append([]string{"--steps", "1000000", "--checkpoint-every", "1", "--sample-every", "0", "--out", out}, quick...)
	orphan := regexp.MustCompile(`^\.` + regexp.QuoteMeta(train.CheckpointName) + `\.tmp-[0-9]+$`)
	for i := 0; i < 8; i++ {
		var log bytes.Buffer
		a := args
		if i > 0 {
			a = []string{"--resume", ck, "--steps", "1000000"}
		}
		cmd := child(t, &log, a...)
		if i == 0 {
			waitFor(t, ck)
		} else {
			// The previous kill's temp files are gone once the run
			// holds the folder again (it has written config.json).
			time.Sleep(300 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		if _, err := checkpoints.Read(ck); err != nil {
			t.Fatalf("kill %d: the checkpoint does not load: %v\n%s", i, err, log.String())
		}
	}
	// Plant an orphan as a killed write leaves it, then start once more.
	os.WriteFile(filepath.Join(out, "."+train.CheckpointName+".tmp-123"), []byte("half"), 0o644)
	var so, se bytes.Buffer
	cfg := readConfig(t, out)
	if err := runArgs([]string{"--resume", ck, "--steps", strconv.Itoa(cfg + 1)}, &so, &se); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if orphan.MatchString(e.Name()) {
			t.Errorf("orphan temp file %s survived the next start", e.Name())
		}
	}
}

// readConfig returns the step of a run's checkpoint.
func readConfig(t *testing.T, out string) int {
	l, err := train.Load(filepath.Join(out, train.CheckpointName))
	if err != nil {
		t.Fatal(err)
	}
	return l.Step
}

// TestHelpDefaultsAreTheTrainedConfig: the defaults --help prints for a
// data, loss and architecture are the values the run with those flags
// records in config.json (--lr said 1e-3 while wgan trained at 5e-5).
func TestHelpDefaultsAreTheTrainedConfig(t *testing.T) {
	fields := map[string]string{ // flag -> JSON path in config.json
		"steps": "steps", "batch": "batch", "lr": "lr", "seed": "seed", "schedule": "schedule",
		"latent": "model.latent", "hidden": "model.hidden", "critic": "model.critic", "prior": "model.prior",
		"lambda": "loss.lambda", "n-critic": "loss.n_critic", "clip": "loss.clip", "eps": "loss.eps",
		"iters": "loss.iters", "k": "loss.k", "m": "loss.m", "cost": "loss.cost", "likelihood": "loss.likelihood",
		"decoder-std": "loss.decoder_std", "scales": "loss.scales", "sample-every": "sample_every",
		"checkpoint-every": "checkpoint_every", "channels": "model.channels", "norm": "model.norm", "arch": "model.arch",
	}
	defRE := regexp.MustCompile(`^  -(\S+)(?: \S+)?\n\s+.*?(?:\(default "?([^")]*)"?\))?$`)
	for _, first := range [][]string{
		{"--loss", "wgan"}, {"--loss", "wgan-gp"}, {"--loss", "minibatch-w"}, {"--loss", "aae"},
		{"--loss", "vae"}, {"--loss", "sinkhorn"}, {"--loss", "wae-mmd"},
	} {
		var so, se bytes.Buffer
		if err := runArgs(append(append([]string{}, first...), "--help"), &so, &se); err != flag.ErrHelp {
			t.Fatalf("%v --help: %v", first, err)
		}
		help := map[string]string{}
		lines := strings.Split(se.String(), "\n")
		for i := 0; i+1 < len(lines); i++ {
			if m := defRE.FindStringSubmatch(lines[i] + "\n" + lines[i+1]); m != nil {
				help[m[1]] = m[2]
			}
		}
		out := filepath.Join(t.TempDir(), "run")
		steps := help["steps"]
		// Train one step with exactly the first-pass flags (and a
		// folder), then compare what it recorded with the help text.
		if err := runArgs(append(append([]string{}, first...), "--out", out, "--steps", "1"), &so, &se); err != nil {
			t.Fatalf("%v: %v", first, err)
		}
		var cfg map[string]any
		if err := json.Unmarshal(readFile(t, filepath.Join(out, "config.json")), &cfg); err != nil {
			t.Fatal(err)
		}
		cfg["steps"] = mustAtoi(t, steps) // the run's --steps was 1 on purpose
		for flagName, path := range fields {
			want, ok := help[flagName]
			if !ok {
				t.Fatalf("%v: --help has no -%s", first, flagName)
			}
			got := lookupJSON(cfg, path)
			if normalise(got) != normalise(want) {
				t.Errorf("%v: --help says -%s default %q, the run used %q", first, flagName, want, got)
			}
		}
	}
}

func mustAtoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

// lookupJSON returns the value at a dotted path as the flag package would
// print it ("" for a missing or zero value).
func lookupJSON(m map[string]any, path string) string {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[k]
	}
	switch x := v.(type) {
	case nil:
		return ""
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ",")
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int:
		return strconv.Itoa(x)
	}
	return fmt.Sprint(v)
}

// normalise maps the zero values the flag package leaves out of the help
// text to "".
func normalise(s string) string {
	if s == "0" || s == "[]" {
		return ""
	}
	return s
}
