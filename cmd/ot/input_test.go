package main

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hugePNG returns a PNG of about 70 bytes whose header declares w x h RGB
// pixels (its data holds one row).
func hugePNG(t *testing.T, w, h uint32) []byte {
	t.Helper()
	chunk := func(b []byte, typ string, data []byte) []byte {
		b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
		start := len(b)
		b = append(append(b, typ...), data...)
		return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
	}
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, w), h)
	b = chunk(b, "IHDR", append(ihdr, 8, 2, 0, 0, 0))
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write([]byte{0}); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	b = chunk(b, "IDAT", z.Bytes())
	return chunk(b, "IEND", nil)
}

// checkOneLine fails unless err is a one-line error containing every
// string of want.
func checkOneLine(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one saying %q", what, want)
		return
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("%s: error is not one line: %q", what, msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: error %q does not say %q", what, msg, w)
		}
	}
}

// TestHugeImageInputs gives a 70-byte PNG declaring 100000x100000 pixels
// to colour-transfer (either side) and puts it in a flow image folder.
// Before the header check these died with "fatal error: runtime: out of
// memory" and a stack trace; now each is a one-line error naming the file
// and its declared size.
func TestHugeImageInputs(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.png")
	if err := os.WriteFile(huge, hugePNG(t, 100000, 100000), 0o644); err != nil {
		t.Fatal(err)
	}
	small := writePNG(t, dir, "small.png", bandImage(1, 20, 10, cool))
	out := filepath.Join(dir, "out.png")
	_, _, err := runOT(t, "colour-transfer", "--source", huge, "--target", small, "--out", out)
	checkOneLine(t, "huge --source", err, "--source", huge, "100000x100000")
	_, _, err = runOT(t, "colour-transfer", "--source", small, "--target", huge, "--out", out)
	checkOneLine(t, "huge --target", err, "--target", huge, "100000x100000")

	folder := imageFolder(t, "faces", 3, warm)
	hugeInFolder := filepath.Join(folder, "zz_huge.png")
	if err := os.WriteFile(hugeInFolder, hugePNG(t, 100000, 100000), 0o644); err != nil {
		t.Fatal(err)
	}
	src := imageFolder(t, "src", 3, cool)
	_, _, err = runOT(t, "flow", "--source", src, "--target", folder, "--out", filepath.Join(dir, "flow"), "--size", "8")
	checkOneLine(t, "huge image in a flow folder", err, hugeInFolder, "100000x100000")
}

// TestColourTransferFlagErrors gives colour-transfer settings that cannot
// work: each is a one-line error naming the flag and the value given,
// before any image is read. Before, --m 0 said "minibatch size m = 1000"
// (the default it silently took), --draws 0 and --workers -1 ran, and a
// folder as --source said "read ...: is a directory" only by luck of the
// decoder.
func TestColourTransferFlagErrors(t *testing.T) {
	dir := t.TempDir()
	src := writePNG(t, dir, "src.png", bandImage(1, 20, 10, cool))
	tgt := writePNG(t, dir, "tgt.png", bandImage(2, 20, 10, warm))
	out := filepath.Join(dir, "out.png")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--m", "0"}, []string{"--m 0: want a minibatch size of at least 1"}},
		{[]string{"--m", "-5"}, []string{"--m -5: want"}},
		{[]string{"--k", "-2"}, []string{"--k -2: want 0"}},
		{[]string{"--draws", "0"}, []string{"--draws 0: want at least 1"}},
		{[]string{"--workers", "-1"}, []string{"--workers -1: want 0 (all cores) or more"}},
		{[]string{"--compare-size", "8"}, []string{"--compare-size 8: want at least 16"}},
		{[]string{"--compare-m", "10,0"}, []string{"-compare-m", `"0" is not a positive integer`}},
		{[]string{"--out", filepath.Join(dir, "x.gif")}, []string{"x.gif", "want a file name ending in .png, .jpg or .jpeg"}},
		{[]string{"--out", filepath.Join(dir, "noext")}, []string{"noext", "want a file name ending in .png"}},
		{[]string{"--out", filepath.Join(dir, "missing", "x.png")}, []string{"--out", filepath.Join(dir, "missing"), "no such file"}},
		{[]string{"--source", dir}, []string{"--source: data: image " + dir + ": is a directory"}},
		{[]string{"--target", dir}, []string{"--target: data: image " + dir + ": is a directory"}},
	} {
		args := append([]string{"colour-transfer", "--source", src, "--target", tgt, "--out", out, "--m", "10", "--compare-m", ""}, c.args...)
		_, _, err := runOT(t, args...)
		checkOneLine(t, strings.Join(c.args, " "), err, c.want...)
	}
	outDir := filepath.Join(dir, "folder.png")
	if err := os.Mkdir(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	_, _, err := runOT(t, "colour-transfer", "--source", src, "--target", tgt, "--out", outDir, "--m", "10")
	checkOneLine(t, "--out a folder", err, "--out "+outDir+" is a directory")
}

// TestColourTransferJPEG writes the three outputs as JPEG when --out ends
// in .jpg (before, PNG bytes went into files named .jpg).
func TestColourTransferJPEG(t *testing.T) {
	dir := t.TempDir()
	src := writePNG(t, dir, "src.png", bandImage(1, 30, 20, cool))
	tgt := writePNG(t, dir, "tgt.png", bandImage(2, 24, 20, warm))
	out := filepath.Join(dir, "out.JPG")
	stdout, stderr, err := runOT(t, "colour-transfer", "--source", src, "--target", tgt, "--out", out,
		"--m", "50", "--compare-m", "10", "--compare-size", "20", "--compare-draws", "1")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, c := range []struct {
		path string
		size image.Point
	}{{out, image.Pt(30, 20)}, {filepath.Join(dir, "out-reverse.JPG"), image.Pt(24, 20)}, {filepath.Join(dir, "out-compare.JPG"), image.Point{}}} {
		if !strings.Contains(stdout, "wrote "+c.path) {
			t.Errorf("stdout %q does not report %s", stdout, c.path)
		}
		f, err := os.Open(c.path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s is not a JPEG file: %v", c.path, err)
			continue
		}
		if c.size != (image.Point{}) && img.Bounds().Size() != c.size {
			t.Errorf("%s is %v, want %v", c.path, img.Bounds().Size(), c.size)
		}
	}
}

// TestPlansInput checks the list flags and the output format of plans.
func TestPlansInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "plans.jpeg")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--eps", "0"}, []string{"--eps 0: want finite values > 0"}},
		{[]string{"--eps", "0.1,inf"}, []string{"-eps", `"inf" is not a finite number`}},
		{[]string{"--m", "2,x"}, []string{"-m", `"x" is not a positive integer`}},
		{[]string{"--m", "", "--eps", ""}, []string{"nothing to draw"}},
		{[]string{"--out", filepath.Join(dir, "plans.svg")}, []string{"plans.svg", "want a file name ending in .png, .jpg or .jpeg"}},
	} {
		_, _, err := runOT(t, append([]string{"plans", "--n", "4", "--m", "2", "--eps", "1", "--epochs", "2", "--out", out}, c.args...)...)
		checkOneLine(t, strings.Join(c.args, " "), err, c.want...)
	}
	if _, stderr, err := runOT(t, "plans", "--n", "4", "--m", "2", "--eps", "1", "--epochs", "2", "--out", out); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := jpeg.Decode(f); err != nil {
		t.Errorf("%s is not a JPEG file: %v", out, err)
	}
}

// TestInterruptible stops a command that never ends by cancelling its
// context, as Ctrl-C and SIGTERM do through cli.Main. Before, cmd/ot
// ignored the context, and cli.Main's signal handler kept the signals
// from ending the process: ot could only be killed with SIGKILL.
func TestInterruptible(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	forever := func([]string, io.Writer, io.Writer) error { <-block; return nil }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := interruptible(ctx, forever, nil, io.Discard, io.Discard); !errors.Is(err, errInterrupted) {
		t.Errorf("cancelled: %v", err)
	}
	boom := errors.New("boom")
	failing := func([]string, io.Writer, io.Writer) error { return boom }
	if err := interruptible(context.Background(), failing, nil, io.Discard, io.Discard); err != boom {
		t.Errorf("a command's own error: %v", err)
	}
}
