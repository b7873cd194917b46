package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otgen/classifier"
	"otgen/data"
)

// TestCelebATrySaveEvaluate trains the CelebA attribute classifier
// briefly (320 faces, one epoch), saves it where --out says, evaluates it
// per attribute, and checks that a quick try without --out leaves the
// cache alone and that an MNIST checkpoint is refused in one line.
func TestCelebATrySaveEvaluate(t *testing.T) {
	dir, err := data.DefaultCelebADir()
	if err != nil {
		t.Skip("OTGEN_DATA not set: skipping a test that needs CelebA")
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	cache, err := classifier.CelebADefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sub", "attrs.otgen")
	var out, errs bytes.Buffer
	args := []string{"--data", "celeba", "--limit", "320", "--epochs", "1"}
	if err := run(context.Background(), append(args, "--out", path), &out, &errs, false); err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	t.Log(errs.String(), out.String())
	for _, want := range []string{"mean attribute accuracy ", "on 1000 held-out faces, majority-class baseline 80.", "trained on 320 faces × 1 epochs", "saved " + path, "below the 86%"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q lacks %q", out.String(), want)
		}
	}
	if !strings.Contains(errs.String(), "training the CelebA attribute classifier in "+dir) || !strings.Contains(errs.String(), "epoch 1/1") {
		t.Errorf("log %q", errs.String())
	}
	c, err := classifier.LoadCelebA(path)
	if err != nil {
		t.Fatal(err)
	}
	if info := c.Info(); info.TrainExamples != 320 || info.Epochs != 1 || !(info.TestAccuracy > 0.5) || len(c.Attributes()) != 40 {
		t.Errorf("info %+v, attributes %v", info, c.Attributes())
	}

	out.Reset()
	if err := run(context.Background(), []string{"--data", "celeba", "--evaluate", "--out", path}, &out, &errs, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{path + ": mean attribute accuracy", "majority-class baseline 80.", "attribute", "Male", "Wearing_Hat", "Young"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("evaluation %q lacks %q", out.String(), want)
		}
	}

	// A quick try without --out saves nothing, the cache least of all.
	out.Reset()
	errs.Reset()
	if err := run(context.Background(), args, &out, &errs, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Errorf("the quick try wrote the cache %s (%v)", cache, err)
	}
	if !strings.Contains(out.String(), "not saved (pass --out FILE to keep it)") || !strings.Contains(errs.String(), "quick try (--epochs 1 --limit 320)") {
		t.Errorf("output %q, log %q", out.String(), errs.String())
	}

	// The MNIST classifier is not the CelebA one; nor is cifar a dataset.
	lenet, _ := classifier.New(1)
	mnist := filepath.Join(t.TempDir(), "lenet.otgen")
	if err := lenet.Save(mnist); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"--data", "celeba", "--evaluate", "--out", mnist}, &out, &errs, false)
	if err == nil || !strings.Contains(err.Error(), "not a CelebA classifier checkpoint") || strings.Contains(err.Error(), "\n") {
		t.Errorf("MNIST checkpoint evaluated as CelebA's: %v", err)
	}
	if err := run(context.Background(), []string{"--data", "cifar"}, &out, &errs, false); err == nil {
		t.Error("--data cifar accepted")
	}
}
