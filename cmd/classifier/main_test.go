package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otgen/classifier"
	"otgen/data"
)

func mnistDir(t *testing.T) string {
	t.Helper()
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		t.Skip("OTGEN_DATA not set: skipping a test that needs MNIST")
	}
	return dir
}

// TestTrainSaveEvaluate trains briefly on 1,920 digits, then evaluates the
// saved checkpoint.
func TestTrainSaveEvaluate(t *testing.T) {
	dir := mnistDir(t)
	path := filepath.Join(t.TempDir(), "sub", "lenet.otgen")
	var out, errs bytes.Buffer
	args := []string{"--out", path, "--data-dir", dir, "--epochs", "1", "--limit", "1920"}
	if err := run(context.Background(), args, &out, &errs, false); err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	t.Log(errs.String(), out.String())
	if !strings.Contains(out.String(), "test accuracy") || !strings.Contains(out.String(), "saved "+path) {
		t.Errorf("output %q", out.String())
	}
	if !strings.Contains(errs.String(), "epoch 1/1") {
		t.Errorf("no epoch line in the log %q", errs.String())
	}
	c, err := classifier.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// 1,920 digits for 1 epoch is far from 99% but far above chance (10%).
	if info := c.Info(); info.TrainExamples != 1920 || info.Epochs != 1 || !(info.TestAccuracy > 0.5) {
		t.Errorf("info %+v", info)
	}
	out.Reset()
	if err := run(context.Background(), []string{"--evaluate", "--out", path, "--data-dir", dir}, &out, &errs, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "test accuracy") {
		t.Errorf("evaluate output %q", out.String())
	}
}

func TestErrors(t *testing.T) {
	tmp := t.TempDir()
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"--data-dir", filepath.Join(tmp, "nope"), "--out", filepath.Join(tmp, "c.otgen")}, &out, &errs, false)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing data folder: %v", err)
	}
	if err := run(context.Background(), []string{"--epochs"}, &out, &errs, false); err == nil {
		t.Error("flag without value accepted")
	}
	if err := run(context.Background(), []string{"extra"}, &out, &errs, false); err == nil {
		t.Error("extra argument accepted")
	}
	dir := mnistDir(t)
	if err := run(context.Background(), []string{"--evaluate", "--data-dir", dir, "--out", filepath.Join(tmp, "missing.otgen")}, &out, &errs, false); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("evaluate a missing file: %v", err)
	}
	// Interrupted training saves nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	path := filepath.Join(tmp, "stopped.otgen")
	err = run(ctx, []string{"--data-dir", dir, "--out", path, "--limit", "640"}, &out, &errs, false)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled training: %v", err)
	}
	if _, serr := os.Stat(path); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("a cancelled training left %s", path)
	}
	if err := run(context.Background(), []string{"--data-dir", dir, "--out", path, "--lr", "-1"}, &out, &errs, false); err == nil {
		t.Error("negative learning rate accepted")
	}
}
