package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otgen/internal/cli"
)

func sharedData(t *testing.T) string {
	t.Helper()
	root := os.Getenv("OTGEN_DATA")
	if root == "" {
		t.Skip("OTGEN_DATA not set: the tests serve the shared MNIST files")
	}
	return root
}

func exec(args ...string) (status int, stdout, stderr string) {
	var o, e bytes.Buffer
	status = cli.Exec("data", args, run, &o, &e)
	return status, o.String(), e.String()
}

func TestFetchVerifyList(t *testing.T) {
	root := sharedData(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(root, "mnist"))))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "digits")
	status, out, errs := exec("fetch", "mnist", "--dir", dir, "--mirror", srv.URL)
	if status != 0 {
		t.Fatalf("fetch: %d %s", status, errs)
	}
	if !strings.Contains(out, "ready in "+dir) || strings.Count(out, "  ok  ") != 4 {
		t.Errorf("fetch output:\n%s", out)
	}
	if !strings.Contains(errs, "train-images-idx3-ubyte.gz kB") {
		t.Errorf("no progress on stderr:\n%s", errs)
	}
	// verify --dir finds what the folder holds.
	status, out, errs = exec("verify", "--dir", dir)
	if status != 0 || !strings.HasPrefix(out, "mnist ("+dir+"):") {
		t.Errorf("verify: %d\n%s%s", status, out, errs)
	}
	// A corrupt file: exit 1, one line naming it.
	p := filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 0xff
	os.WriteFile(p, b, 0o644)
	status, out, errs = exec("verify", "mnist", "--dir", dir)
	if status != 1 || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "data: mnist in "+dir+": t10k-labels-idx1-ubyte.gz: checksum mismatch") {
		t.Errorf("verify of a bad folder: %d %q", status, errs)
	}
	if !strings.Contains(out, "BAD         t10k-labels-idx1-ubyte.gz") {
		t.Errorf("report:\n%s", out)
	}
	// fetch repairs it, downloading that file only.
	status, out, errs = exec("fetch", "mnist", "--dir", dir, "--mirror", srv.URL)
	if status != 0 || strings.Contains(errs, "train-images-idx3-ubyte.gz kB") {
		t.Errorf("repair: %d %s", status, errs)
	}

	// list: with OTGEN_DATA set, the shared mnist is present and the rest
	// absent or as they are.
	t.Setenv("OTGEN_DATA", root)
	status, out, errs = exec("list")
	if status != 0 || !strings.Contains(out, filepath.Join(root, "mnist")+"\n  state        present (4 of 4 files") {
		t.Errorf("list: %d\n%s%s", status, out, errs)
	}
}

func TestVerifyAll(t *testing.T) {
	root := sharedData(t)
	t.Setenv("OTGEN_DATA", root)
	status, out, errs := exec("verify")
	if status != 0 {
		t.Fatalf("verify: %d %s", status, errs)
	}
	for _, want := range []string{"mnist (" + root + "/mnist):", "celeba (" + root + "/celeba):", "fashion-mnist: not downloaded"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

func TestBadInputOneLine(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><title>Sign in</title></html>")
	}))
	defer html.Close()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"fetch", "cifar"}, `data: unknown dataset "cifar" (known: celeba, fashion-mnist, mnist)`},
		{[]string{"fetch"}, "data: fetch needs one dataset name"},
		{[]string{"frobnicate"}, `data: unknown subcommand "frobnicate"`},
		{[]string{"fetch", "mnist", "--dir", t.TempDir(), "--mirror", html.URL}, `answered with an HTML page "Sign in", not the file`},
		{[]string{"verify", "--dir", t.TempDir()}, "holds no file of any dataset"},
		{[]string{"fetch", "celeba", "--dir", t.TempDir(), "--from", "/nonexistent/celeba.zip"}, "data: celeba: --from: stat /nonexistent/celeba.zip: no such file or directory"},
	} {
		status, _, errs := exec(c.args...)
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		last := lines[len(lines)-1]
		if status != 1 || !strings.Contains(last, c.want) {
			t.Errorf("%v: status %d, last line %q, want %q", c.args, status, last, c.want)
		}
	}
}
