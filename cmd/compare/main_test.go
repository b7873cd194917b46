package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"otgen/classifier"
	"otgen/classifier/classifiertest"
	"otgen/losses"
	"otgen/train"
)

func compareOnce(t *testing.T, out string, extra ...string) ([][]string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args := []string{"--losses", "mbw,wgan-gp,vae", "--steps", "6", "--batch", "32", "--hidden", "16", "--eval-every", "3", "--out", out}
	if err := run(append(args, extra...), &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	rows := readCSV(t, filepath.Join(out, "results.csv"))
	return rows, stdout.String()
}

func TestCompareTableFiguresAndDeterminism(t *testing.T) {
	dir := t.TempDir()
	rows, table := compareOnce(t, filepath.Join(dir, "a"))
	if len(rows) != 4 {
		t.Fatalf("results.csv has %d rows, want a header and 3 losses", len(rows))
	}
	for _, l := range []string{"| minibatch-w |", "| wgan-gp |", "| vae |", "eval_w2"} {
		if !strings.Contains(table, l) {
			t.Errorf("table lacks %q:\n%s", l, table)
		}
	}
	for _, f := range []string{"samples.png", "curves.png", "results.json", "vae-seed1/checkpoint.otgen"} {
		if _, err := os.Stat(filepath.Join(dir, "a", f)); err != nil {
			t.Error(err)
		}
	}
	// Same seeds, another folder: identical metrics (all but the timings).
	again, _ := compareOnce(t, filepath.Join(dir, "b"))
	for i := range rows {
		n := len(rows[i]) - 2 // wall_s and step_ms differ
		if strings.Join(rows[i][:n], ",") != strings.Join(again[i][:n], ",") {
			t.Fatalf("row %d differs:\n%v\n%v", i, rows[i], again[i])
		}
	}
	// Rerunning in a finished folder reads the runs instead of training,
	// timings included.
	rerun, _ := compareOnce(t, filepath.Join(dir, "a"))
	for i := range rows {
		if strings.Join(rows[i], ",") != strings.Join(rerun[i], ",") {
			t.Fatalf("rerun row %d differs:\n%v\n%v", i, rows[i], rerun[i])
		}
	}
	// Two runs at a time: the same table.
	par, _ := compareOnce(t, filepath.Join(dir, "c"), "--jobs", "2")
	for i := range rows {
		n := len(rows[i]) - 2
		if strings.Join(rows[i][:n], ",") != strings.Join(par[i][:n], ",") {
			t.Fatalf("--jobs 2 row %d differs:\n%v\n%v", i, rows[i], par[i])
		}
	}
}

// TestCompareResumesAfterInterrupt: a compare interrupted after its first
// run, then run again, trains only the unfinished losses and ends with the
// table of an uninterrupted compare.
func TestCompareResumesAfterInterrupt(t *testing.T) {
	dir := t.TempDir()
	want, _ := compareOnce(t, filepath.Join(dir, "whole"))

	out := filepath.Join(dir, "cut")
	args := []string{"--losses", "mbw,wgan-gp,vae", "--steps", "6", "--batch", "32", "--hidden", "16", "--eval-every", "3", "--out", out}
	ctx, cancel := context.WithCancel(context.Background())
	afterRun = func(result) { cancel() }
	var stdout, stderr bytes.Buffer
	err := runContext(ctx, args, &stdout, &stderr)
	afterRun = nil
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "interrupted") {
		t.Fatalf("no interruption message:\n%s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(out, "results.csv")); err == nil {
		t.Fatal("an interrupted compare wrote results.csv")
	}
	stdout.Reset()
	stderr.Reset()
	if err := run(args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "minibatch-w seed 1: steps 6..6") {
		t.Errorf("the finished run was trained again:\n%s", stderr.String())
	}
	f, err := os.Open(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows after resuming, want %d", len(got), len(want))
	}
	for i := range want {
		n := len(want[i]) - 2
		if strings.Join(want[i][:n], ",") != strings.Join(got[i][:n], ",") {
			t.Fatalf("row %d after resuming differs:\n%v\n%v", i, want[i], got[i])
		}
	}
}

func TestCompareBadSettings(t *testing.T) {
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{
		{"--losses", "gan"}, {"--losses", ""}, {"--steps", "0"}, {"--seeds", "x"},
		{"--losses", "minibatch-w", "--batch", "1"}, {"--hidden", "0"}, {"--data", "cifar"}, {"--jobs", "0"},
	} {
		args = append(args, "--out", t.TempDir())
		if err := run(args, &stdout, &stderr); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// TestCompareMNISTImageMetrics: a tiny MNIST compare (a quickly trained
// classifier given by --classifier) reports FID, KID, label KL, pyramid
// SWD and, for the auto-encoder only, the reconstruction error.
func TestCompareMNISTImageMetrics(t *testing.T) {
	if os.Getenv("OTGEN_DATA") == "" {
		t.Skip("OTGEN_DATA not set: the MNIST compare needs the real files in $OTGEN_DATA/mnist")
	}
	dir := t.TempDir()
	mnistDir := filepath.Join(os.Getenv("OTGEN_DATA"), "mnist")
	// A quick classifier (2,000 digits, one epoch: about 80%) is refused:
	// FID and KID in its feature space would mean little.
	weak, err := classifier.TrainMNIST(context.Background(), mnistDir, 1, classifier.TrainOptions{Epochs: 1, Limit: 2000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	weakPath := filepath.Join(dir, "weak.ckpt")
	if err := weak.Save(weakPath); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"--data", "mnist", "--losses", "vae,wgan-gp", "--steps", "4", "--batch", "16", "--hidden", "32"}
	err = run(append(args, "--classifier", weakPath, "--out", filepath.Join(dir, "weak")), &stdout, &stderr)
	if !errors.Is(err, classifier.ErrLowAccuracy) || !strings.Contains(err.Error(), weakPath) {
		t.Fatalf("a classifier below %.0f%%: %v, want a refusal naming it", 100*classifier.MinAccuracy, err)
	}
	// One epoch on every training digit reaches about 98.6%.
	clf, err := classifier.TrainMNIST(context.Background(), mnistDir, 1, classifier.TrainOptions{Epochs: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	clfPath := filepath.Join(dir, "lenet.ckpt")
	if err := clf.Save(clfPath); err != nil {
		t.Fatal(err)
	}
	if err := run(append(args, "--classifier", clfPath, "--out", filepath.Join(dir, "cmp")), &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if want := fmt.Sprintf("feature space of %s (test accuracy %.1f%%)", clfPath, 100*clf.Info().TestAccuracy); !strings.Contains(stderr.String(), want) {
		t.Errorf("compare does not say which classifier it uses (%q):\n%s", want, stderr.String())
	}
	rows := readCSV(t, filepath.Join(dir, "cmp", "results.csv"))
	col := columns(rows[0])
	for _, m := range []string{"eval_fid", "eval_kid", "eval_label_kl", "eval_swd", "eval_rec", "eval_mmd"} {
		if _, ok := col[m]; !ok {
			t.Fatalf("results.csv lacks %s: %v", m, rows[0])
		}
	}
	for _, row := range rows[1:] {
		for _, m := range []string{"eval_fid", "eval_label_kl", "eval_swd"} {
			v, err := strconv.ParseFloat(row[col[m]], 64)
			if err != nil || !(v > 0) {
				t.Errorf("%s %s = %q, want a positive number (4 training steps are far from the data)", row[0], m, row[col[m]])
			}
		}
		if rec := row[col["eval_rec"]]; (row[0] == "vae") != (rec != "") {
			t.Errorf("%s: reconstruction error %q", row[0], rec)
		}
	}
	if !strings.Contains(stdout.String(), "| wgan-gp |") || !strings.Contains(stdout.String(), "–") {
		t.Errorf("table:\n%s", stdout.String())
	}
}

// TestCompareCelebA: a tiny CelebA compare of two losses on the first 128
// faces writes a table with the pyramid SWD, FID and KID in the attribute
// classifier's feature space, and the sample panels; a classifier below
// the accuracy floor is refused with an error naming it.
func TestCompareCelebA(t *testing.T) {
	if os.Getenv("OTGEN_DATA") == "" {
		t.Skip("OTGEN_DATA not set: the CelebA compare needs the real images in $OTGEN_DATA/celeba")
	}
	dir := t.TempDir()
	weak := filepath.Join(dir, "weak.otgen")
	classifiertest.CelebA(t, weak, 0.81)
	clf := filepath.Join(dir, "attrnet.otgen")
	classifiertest.CelebA(t, clf, 0.9)
	out := filepath.Join(dir, "cmp")
	var stdout, stderr bytes.Buffer
	args := []string{"--data", "celeba", "--losses", "wae-mmd,mbw", "--steps", "2", "--batch", "8", "--channels", "4", "--limit", "128"}
	err := run(append(args, "--classifier", weak, "--out", filepath.Join(dir, "weak")), &stdout, &stderr)
	if !errors.Is(err, classifier.ErrLowAccuracy) || !strings.Contains(err.Error(), weak) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("a CelebA classifier at 81%%: %v, want a one-line refusal naming it", err)
	}
	if err := run(append(args, "--classifier", clf, "--out", out), &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, s := range []string{"| wae-mmd |", "| minibatch-w |", "eval_swd", "eval_fid", "eval_kid"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, stdout.String())
		}
	}
	if want := "FID and KID in the feature space of " + clf + " (mean attribute accuracy 90.0%"; !strings.Contains(stderr.String(), want) {
		t.Errorf("compare does not say which classifier it uses (%q):\n%s", want, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "samples.png")); err != nil {
		t.Error(err)
	}
	rows := readCSV(t, filepath.Join(out, "results.csv"))
	col := columns(rows[0])
	for _, row := range rows[1:] {
		for _, m := range []string{"eval_fid", "eval_kid", "eval_swd"} {
			v, err := strconv.ParseFloat(row[col[m]], 64)
			if _, ok := col[m]; !ok || err != nil || !(v > 0) {
				t.Errorf("%s %s = %q, want a positive number (2 training steps are far from the data)", row[0], m, row[col[m]])
			}
		}
	}
}

// TestCompareArch: --arch dcgan gives every run of an MNIST compare the
// convolutional networks (the MNIST default is MLPs), and an unknown or
// impossible architecture is a one-line error naming the flag.
func TestCompareArch(t *testing.T) {
	var stderr bytes.Buffer
	p, err := parse([]string{"--data", "mnist", "--arch", "dcgan", "--losses", "wgan-gp,vae,sinkhorn-gan", "--out", t.TempDir()}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	for k, cfg := range p.cfgs {
		if cfg.Model.Arch != "dcgan" {
			t.Errorf("%s: arch %q, want dcgan", k, cfg.Model.Arch)
		}
	}
	p, err = parse([]string{"--data", "mnist", "--losses", "wgan-gp", "--out", t.TempDir()}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	for k, cfg := range p.cfgs {
		if cfg.Model.Arch != "mlp" {
			t.Errorf("%s without --arch: arch %q, want the MNIST default mlp", k, cfg.Model.Arch)
		}
	}
	for _, args := range [][]string{{"--arch", "resnet"}, {"--arch", "dcgan"}} {
		args = append(args, "--losses", "wgan-gp", "--out", t.TempDir())
		_, err := parse(args, &stderr)
		if err == nil || !strings.Contains(err.Error(), "--arch") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want a one-line error naming --arch", args, err)
		}
	}
}

// TestCompareDefaultBatch: without --batch every loss takes the dataset's
// batch, as train does (a compare on CelebA used to train at batch 256,
// four times train's 64); --batch still sets it for every loss.
func TestCompareDefaultBatch(t *testing.T) {
	var stderr bytes.Buffer
	for data, want := range map[string]int{"8gaussians": 256, "mnist": 100, "celeba": 64} {
		p, err := parse([]string{"--data", data, "--losses", "wgan-gp,minibatch-w", "--out", t.TempDir()}, &stderr)
		if err != nil {
			t.Fatal(err)
		}
		for k, cfg := range p.cfgs {
			if cfg.Batch != want {
				t.Errorf("%s %s: batch %d, want %d", data, k, cfg.Batch, want)
			}
		}
	}
	p, err := parse([]string{"--data", "celeba", "--batch", "32", "--out", t.TempDir()}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	for k, cfg := range p.cfgs {
		if cfg.Batch != 32 {
			t.Errorf("--batch 32: %s has batch %d", k, cfg.Batch)
		}
	}
}

// TestBudgetText: the table's heading says what each run was given, not
// the internal step cap of a run bounded by --time.
func TestBudgetText(t *testing.T) {
	for _, c := range []struct {
		o    options
		want string
	}{
		{options{steps: 1000}, "1000 steps"},
		{options{steps: train.UnlimitedSteps, budget: 600}, "10m0s per run"},
		{options{steps: 5000, budget: 90}, "1m30s or 5000 steps per run"},
	} {
		if got := c.o.budgetText(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.o, got, c.want)
		}
	}
}

// TestCompareDefaultLosses: without --losses a compare runs every
// registered loss, the learned-cost ones included (the default list was
// written out by hand and left out sinkhorn-gan and minibatch-w-gan).
func TestCompareDefaultLosses(t *testing.T) {
	var stderr bytes.Buffer
	p, err := parse([]string{"--out", t.TempDir()}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range losses.Names() {
		if _, ok := p.cfgs[key(name, 1)]; !ok {
			t.Errorf("the default compare has no %s run (runs: %d)", name, len(p.cfgs))
		}
	}
	if len(p.cfgs) != len(losses.Names()) {
		t.Errorf("the default compare has %d runs, want one per loss (%d)", len(p.cfgs), len(losses.Names()))
	}
}

// TestCompareEMA: --ema gives every run a moving average of its generator;
// a decay outside [0, 1) is refused before anything trains.
func TestCompareEMA(t *testing.T) {
	var stderr bytes.Buffer
	p, err := parse([]string{"--losses", "wgan-gp,vae", "--ema", "0.999", "--out", t.TempDir()}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	for k, cfg := range p.cfgs {
		if cfg.EMA != 0.999 {
			t.Errorf("%s: EMA %v, want 0.999", k, cfg.EMA)
		}
	}
	if _, err := parse([]string{"--losses", "wgan-gp", "--ema", "1", "--out", t.TempDir()}, &stderr); err == nil || !strings.Contains(err.Error(), "EMA decay") {
		t.Errorf("--ema 1: %v", err)
	}
}

// TestCompareSetOneLoss: --set changes one loss's settings as cmd/train's
// flags of the same names would — the settings it leaves unset derived
// from the loss's defaults given those it sets — and leaves the other
// losses at their defaults.
func TestCompareSetOneLoss(t *testing.T) {
	var stderr bytes.Buffer
	base := []string{"--data", "mnist", "--arch", "dcgan", "--losses", "wgan-gp,sinkhorn-gan"}
	plain, err := parse(append(base, "--out", t.TempDir()), &stderr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parse(append(base, "--set", "wgan-gp.n-critic=1", "--set", "wgan-gp.lr=2e-4,sinkhorn-gan.cost=sqeuclidean", "--out", t.TempDir()), &stderr)
	if err != nil {
		t.Fatal(err)
	}
	wg, sg := p.cfgs[key("wgan-gp", 1)], p.cfgs[key("sinkhorn-gan", 1)]
	if wg.Loss.NCritic != 1 || wg.LR != 2e-4 {
		t.Errorf("wgan-gp: n-critic %d, lr %v; want 1, 2e-4", wg.Loss.NCritic, wg.LR)
	}
	if d := train.Differences(wg, plain.cfgs[key("wgan-gp", 1)]); len(d) != 2 {
		t.Errorf("wgan-gp differs from its defaults in %v, want n-critic and lr only", d)
	}
	// The image default of sinkhorn-gan is the Euclidean cost at ε 100;
	// with the squared cost its default ε is 1.
	if sg.Loss.Cost != "sqeuclidean" || sg.Loss.Eps != 1 {
		t.Errorf("sinkhorn-gan --set cost=sqeuclidean: cost %q, ε %v; want sqeuclidean, 1", sg.Loss.Cost, sg.Loss.Eps)
	}
	// On MNIST sinkhorn-gan's rate follows its critic loss (8e-4 for the
	// repulsive critic, its default; 4e-4 for the divergence), unless set.
	for set, want := range map[string]float64{
		"sinkhorn-gan.cost=sqeuclidean":                            8e-4,
		"sinkhorn-gan.critic-loss=divergence":                      4e-4,
		"sinkhorn-gan.critic-loss=divergence,sinkhorn-gan.lr=1e-4": 1e-4,
	} {
		q, err := parse(append(base, "--set", set, "--out", t.TempDir()), &stderr)
		if err != nil {
			t.Fatal(err)
		}
		if lr := q.cfgs[key("sinkhorn-gan", 1)].LR; lr != want {
			t.Errorf("--set %s: sinkhorn-gan's rate %g, want %g", set, lr, want)
		}
	}
	if got := p.o.set["wgan-gp"].label("wgan-gp"); got != "wgan-gp (lr=2e-4, n-critic=1)" {
		t.Errorf("table label %q", got)
	}
	for _, set := range []string{
		"wgan-gp.eps=1", "wgan-gp.bogus=1", "nope.lr=1", "wgan-gp.lr=abc", "wgan-gp.lambda=-1",
		"vae.lambda=1", "wgan-gp.n-critic=1,wgan-gp.n-critic=2", "wgan-gp=1", "wgan-gp.n-critic",
		"wgan-gp.n-critic=x", "sinkhorn-gan.cost=manhattan", "wgan-gp.lr=0",
	} {
		_, err := parse(append(base, "--set", set, "--out", t.TempDir()), &stderr)
		if err == nil || !strings.Contains(err.Error(), "--set") || strings.Contains(err.Error(), "\n") {
			t.Errorf("--set %s: %v, want a one-line error naming --set", set, err)
		}
	}
}
