package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadIDXCorruptGzip damages a gzip-compressed IDX file (labels of
// 10,000 digits, as in MNIST) one byte at a time after its gzip header.
// Every damaged file that fails must say that the gzip stream is corrupt,
// in one line: before, some said "trailing data after the 10000 data
// bytes" (the damaged stream decompressed to more bytes), others
// "dimensions [10000] need 10000 data bytes, input has 12: flate: corrupt
// input", which blame the IDX content for the compression's damage.
func TestReadIDXCorruptGzip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	labels := make([]byte, 10000)
	for i := range labels {
		labels[i] = byte(rng.IntN(10))
	}
	good := gzipBytes(t, encodeIDX(IDXUnsignedByte, []uint32{10000}, labels))
	if _, err := ReadIDX(bytes.NewReader(good)); err != nil {
		t.Fatal(err)
	}
	const header = 10 // gzip's fixed header; damage there is a header error or harmless
	failed := 0
	for pos := header; pos < len(good); pos++ {
		for _, mask := range []byte{0x01, 0x55, 0xff} {
			in := bytes.Clone(good)
			in[pos] ^= mask
			x, err := ReadIDX(bytes.NewReader(in))
			if err == nil {
				// Only unused padding bits can change without effect.
				if !bytes.Equal(x.Data, labels) {
					t.Fatalf("byte %d ^ %#x: accepted other data", pos, mask)
				}
				continue
			}
			failed++
			msg := err.Error()
			if !strings.Contains(msg, "the gzip stream is") || !strings.Contains(msg, "corrupt") ||
				strings.Contains(msg, "trailing") || strings.Contains(msg, "\n") {
				t.Fatalf("byte %d ^ %#x: %q does not say that the gzip stream is corrupt", pos, mask, msg)
			}
		}
	}
	if failed < 3*(len(good)-header)*9/10 {
		t.Errorf("only %d of %d damaged files failed", failed, 3*(len(good)-header))
	}
	// A well-formed stream holding more bytes than the dimensions say is
	// trailing data, not corruption.
	long := gzipBytes(t, append(encodeIDX(IDXUnsignedByte, []uint32{10000}, labels), 7))
	if _, err := ReadIDX(bytes.NewReader(long)); err == nil || !strings.Contains(err.Error(), "trailing data") || strings.Contains(err.Error(), "corrupt") {
		t.Errorf("extra byte inside a good stream: %v", err)
	}
	// So is a second gzip member that is not one.
	junk := append(bytes.Clone(good), "junk after the stream"...)
	if _, err := ReadIDX(bytes.NewReader(junk)); !errors.Is(err, gzip.ErrHeader) || !strings.Contains(err.Error(), "trailing data after the gzip stream") {
		t.Errorf("junk after the stream: %v", err)
	}
}

// TestMNISTFileIsDirectory puts a folder where an MNIST file belongs.
func TestMNISTFileIsDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t10k-images-idx3-ubyte.gz")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := LoadMNIST(dir, "test")
	if err == nil || !strings.Contains(err.Error(), path+" is a directory") {
		t.Errorf("error %v, want it to say that %s is a directory", err, path)
	}
	// Once, after the dataset's name (it once read "is a directory: PATH
	// is a directory").
	if n := strings.Count(err.Error(), "is a directory"); n != 1 || !strings.HasPrefix(err.Error(), "data: mnist") {
		t.Errorf("error %q: want it to start with data: mnist and say is a directory once", err)
	}
}

// TestAttributeFileIsDirectory puts a folder where the CelebA attribute
// file belongs (before: "line 1: read PATH: is a directory").
func TestAttributeFileIsDirectory(t *testing.T) {
	dir := fakeCelebA(t)
	attr := filepath.Join(dir, CelebAAttrFile)
	if err := os.Remove(attr); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(attr, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := OpenCelebA(dir, CelebAOptions{Attr: AttrFilter{"Male": 1}})
	if err == nil || !strings.Contains(err.Error(), "attribute file "+attr+" is a directory") || strings.Contains(err.Error(), "line 1") {
		t.Errorf("error %v", err)
	}
}
