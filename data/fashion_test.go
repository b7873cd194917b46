package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// debianFashionDir is where Debian's dataset-fashion-mnist package puts
// the files (its .gz files are recompressed; the IDX contents are
// upstream's).
const debianFashionDir = "/usr/share/datasets/fashion-mnist"

func fashionDir(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(debianFashionDir); err != nil {
		t.Skip("dataset-fashion-mnist not installed (apt-get install dataset-fashion-mnist): " + err.Error())
	}
	return debianFashionDir
}

func TestLoadFashionMNIST(t *testing.T) {
	dir := fashionDir(t)
	for _, c := range []struct {
		split string
		n     int
	}{{"train", 60000}, {"test", 10000}} {
		m, err := LoadFashionMNIST(dir, c.split)
		if err != nil {
			t.Fatal(err)
		}
		if m.Len() != c.n || len(m.Shape()) != 3 || m.Shape()[1] != 28 {
			t.Fatalf("%s: %d examples of shape %v", c.split, m.Len(), m.Shape())
		}
		// Fashion-MNIST is balanced: a tenth of each split per class.
		var count [MNISTClasses]int
		for i := range m.Len() {
			count[m.Label(i)]++
		}
		for k, got := range count {
			if got != c.n/10 {
				t.Errorf("%s: class %d (%s) has %d examples, want %d", c.split, k, FashionMNISTClass(k), got, c.n/10)
			}
		}
		// Pixels are in [0, 1] and images are not blank.
		x := make([]float32, 784)
		var sum float64
		for i := range 100 {
			m.Example(i, x)
			for _, v := range x {
				if v < 0 || v > 1 {
					t.Fatalf("pixel %v", v)
				}
				sum += float64(v)
			}
		}
		if sum == 0 {
			t.Errorf("%s: the first 100 images are blank", c.split)
		}
	}
	// The first training image of Fashion-MNIST is an ankle boot.
	m, _ := LoadFashionMNIST(dir, "train")
	if got := FashionMNISTClass(m.Label(0)); got != "Ankle boot" {
		t.Errorf("first training image is a %q", got)
	}
}

// fashionIDX encodes an IDX array of unsigned bytes.
func fashionIDX(dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, IDXUnsignedByte, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

func TestLoadFashionMNISTErrors(t *testing.T) {
	_, err := LoadFashionMNIST(filepath.Join(t.TempDir(), "nope"), "train")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "cmd/data fetch fashion-mnist") {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := LoadFashionMNIST(t.TempDir(), "valid"); err == nil || !strings.Contains(err.Error(), `unknown split "valid"`) {
		t.Errorf("bad split: %v", err)
	}
	dir := t.TempDir()
	if _, err := LoadFashionMNIST(dir, "test"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "t10k images") {
		t.Errorf("no files: %v", err)
	}
	// Raw (uncompressed) files with a label out of range.
	os.WriteFile(filepath.Join(dir, "t10k-images-idx3-ubyte"), fashionIDX([]uint32{2, 28, 28}, make([]byte, 2*784)), 0o644)
	os.WriteFile(filepath.Join(dir, "t10k-labels-idx1-ubyte"), fashionIDX([]uint32{2}, []byte{3, 10}), 0o644)
	if _, err := LoadFashionMNIST(dir, "test"); err == nil || !strings.Contains(err.Error(), "label 10 of example 1") {
		t.Errorf("bad label: %v", err)
	}
	// A truncated image file wraps ErrIDX and names the file.
	os.WriteFile(filepath.Join(dir, "t10k-images-idx3-ubyte"), fashionIDX([]uint32{2, 28, 28}, make([]byte, 784)), 0o644)
	if _, err := LoadFashionMNIST(dir, "test"); !errors.Is(err, ErrIDX) || !strings.Contains(err.Error(), "t10k-images-idx3-ubyte") {
		t.Errorf("truncated images: %v", err)
	}
	if FashionMNISTClass(10) != "" || FashionMNISTClass(0) != "T-shirt/top" {
		t.Errorf("class names")
	}
}
