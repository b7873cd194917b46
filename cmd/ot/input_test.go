package main

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
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
