package data

import (
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realMNISTDir returns $OTGEN_DATA/mnist, or skips the test if OTGEN_DATA
// is not set.
func realMNISTDir(t testing.TB) string {
	t.Helper()
	if os.Getenv(DataEnv) == "" {
		t.Skip("OTGEN_DATA not set: set it to the shared data folder to run the tests on real MNIST files")
	}
	dir, err := DefaultMNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeFile writes b to dir/name.
func writeFile(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeMNIST writes a small MNIST test split of n digits into a new
// directory, digit i having all pixels equal to i*40 and label i%10, with
// images of rows x cols and labels for nlabels digits.
func writeMNIST(t *testing.T, n, rows, cols, nlabels int, gz bool) string {
	t.Helper()
	dir := t.TempDir()
	pix := make([]byte, n*rows*cols)
	for i := range n {
		for j := range rows * cols {
			pix[i*rows*cols+j] = byte(i * 40)
		}
	}
	lbl := make([]byte, nlabels)
	for i := range lbl {
		lbl[i] = byte(i % 10)
	}
	img := encodeIDX(IDXUnsignedByte, []uint32{uint32(n), uint32(rows), uint32(cols)}, pix)
	lab := encodeIDX(IDXUnsignedByte, []uint32{uint32(nlabels)}, lbl)
	if gz {
		writeFile(t, dir, "t10k-images-idx3-ubyte.gz", gzipBytes(t, img))
		writeFile(t, dir, "t10k-labels-idx1-ubyte.gz", gzipBytes(t, lab))
	} else {
		writeFile(t, dir, "t10k-images-idx3-ubyte", img)
		writeFile(t, dir, "t10k-labels-idx1-ubyte", lab)
	}
	return dir
}

func TestLoadMNISTSynthetic(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := writeMNIST(t, 7, 28, 28, 7, gz)
		m, err := LoadMNIST(dir, "test")
		if err != nil {
			t.Fatal(err)
		}
		var _ Labeled = m
		if m.Len() != 7 {
			t.Fatalf("Len() = %d, want 7", m.Len())
		}
		dst := make([]float32, 784)
		for i := range 7 {
			m.Example(i, dst)
			want := float32(i*40) / 255
			for j, v := range dst {
				if v != want {
					t.Fatalf("digit %d pixel %d = %g, want %g", i, j, v, want)
				}
			}
			if m.Label(i) != i {
				t.Errorf("Label(%d) = %d", i, m.Label(i))
			}
			if p := m.Pixels(i); len(p) != 784 || p[0] != byte(i*40) {
				t.Errorf("Pixels(%d) wrong", i)
			}
		}
		if _, err := LoadMNIST(dir, "train"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("train split in a folder with only test files: error %v, want fs.ErrNotExist", err)
		}
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	t.Run("missing directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nope")
		_, err := LoadMNIST(dir, "train")
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("error %v does not wrap fs.ErrNotExist", err)
		}
		for _, s := range []string{dir, "--data-dir", "OTGEN_DATA"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not mention %q", err, s)
			}
		}
	})
	t.Run("missing file", func(t *testing.T) {
		dir := writeMNIST(t, 3, 28, 28, 3, true)
		os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
		_, err := LoadMNIST(dir, "test")
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "t10k-labels-idx1-ubyte.gz") {
			t.Errorf("error %v: want fs.ErrNotExist naming the file", err)
		}
	})
	t.Run("not a directory", func(t *testing.T) {
		dir := writeMNIST(t, 3, 28, 28, 3, true)
		if _, err := LoadMNIST(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), "test"); err == nil {
			t.Error("no error")
		}
	})
	t.Run("unknown split", func(t *testing.T) {
		dir := writeMNIST(t, 3, 28, 28, 3, true)
		if _, err := LoadMNIST(dir, "validation"); err == nil || !strings.Contains(err.Error(), "validation") {
			t.Errorf("error %v", err)
		}
	})

	check := func(t *testing.T, dir string, file string, substr ...string) error {
		t.Helper()
		m, err := LoadMNIST(dir, "test")
		if err == nil {
			t.Fatalf("no error, got %d digits", m.Len())
		}
		if m != nil {
			t.Error("non-nil *MNIST with an error")
		}
		for _, s := range append(substr, file) {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not mention %q", err, s)
			}
		}
		return err
	}
	t.Run("count mismatch", func(t *testing.T) {
		check(t, writeMNIST(t, 5, 28, 28, 4, false), "t10k-labels-idx1-ubyte", "5 images", "4 labels")
	})
	t.Run("wrong image size", func(t *testing.T) {
		check(t, writeMNIST(t, 5, 28, 27, 5, true), "t10k-images-idx3-ubyte.gz", "[5 28 27]")
	})
	t.Run("no images", func(t *testing.T) {
		check(t, writeMNIST(t, 0, 28, 28, 0, true), "t10k-images-idx3-ubyte.gz", "no images")
	})
	t.Run("bad label", func(t *testing.T) {
		dir := writeMNIST(t, 2, 28, 28, 2, false)
		writeFile(t, dir, "t10k-labels-idx1-ubyte", encodeIDX(IDXUnsignedByte, []uint32{2}, []byte{3, 10}))
		check(t, dir, "t10k-labels-idx1-ubyte", "label 10")
	})
	t.Run("labels not 1-D", func(t *testing.T) {
		dir := writeMNIST(t, 2, 28, 28, 2, false)
		writeFile(t, dir, "t10k-labels-idx1-ubyte", encodeIDX(IDXUnsignedByte, []uint32{2, 1}, []byte{3, 1}))
		check(t, dir, "t10k-labels-idx1-ubyte", "[2 1]")
	})
	t.Run("wrong magic", func(t *testing.T) {
		dir := writeMNIST(t, 2, 28, 28, 2, false)
		p := filepath.Join(dir, "t10k-images-idx3-ubyte")
		b, _ := os.ReadFile(p)
		b[0] = 0x42
		writeFile(t, dir, "t10k-images-idx3-ubyte", b)
		if err := check(t, dir, "t10k-images-idx3-ubyte", "magic"); !errors.Is(err, ErrIDX) {
			t.Errorf("error %v does not wrap ErrIDX", err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		dir := writeMNIST(t, 2, 28, 28, 2, false)
		p := filepath.Join(dir, "t10k-images-idx3-ubyte")
		b, _ := os.ReadFile(p)
		writeFile(t, dir, "t10k-images-idx3-ubyte", b[:len(b)-1])
		if err := check(t, dir, "t10k-images-idx3-ubyte", "truncated"); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("error %v does not wrap io.ErrUnexpectedEOF", err)
		}
	})
}

func TestDefaultMNISTDir(t *testing.T) {
	t.Setenv(DataEnv, "")
	dir, err := DefaultMNISTDir()
	if dir != "" || !errors.Is(err, ErrNoDataDir) || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("OTGEN_DATA empty: got (%q, %v)", dir, err)
	}
	t.Setenv(DataEnv, "/some/where")
	if dir, err := DefaultMNISTDir(); err != nil || dir != filepath.Join("/some/where", "mnist") {
		t.Errorf("got (%q, %v)", dir, err)
	}
}

func TestLoadMNISTReal(t *testing.T) {
	dir := realMNISTDir(t)
	for _, c := range []struct {
		split      string
		n          int
		firstLabel int
	}{{"train", 60000, 5}, {"test", 10000, 7}} {
		m, err := LoadMNIST(dir, c.split)
		if err != nil {
			t.Fatal(err)
		}
		if m.Len() != c.n {
			t.Errorf("%s: Len() = %d, want %d", c.split, m.Len(), c.n)
		}
		if s := m.Shape(); len(s) != 3 || s[0] != 1 || s[1] != 28 || s[2] != 28 {
			t.Errorf("%s: Shape() = %v, want [1 28 28]", c.split, s)
		}
		if l := m.Label(0); l != c.firstLabel {
			t.Errorf("%s: first label %d, want %d", c.split, l, c.firstLabel)
		}
		var counts [10]int
		for i := range m.Len() {
			counts[m.Label(i)]++
		}
		for d, k := range counts {
			if k < m.Len()/20 {
				t.Errorf("%s: digit %d appears only %d times", c.split, d, k)
			}
		}
		dst := make([]float32, 784)
		var lo, hi float32 = 1, 0
		for _, i := range []int{0, 1, m.Len() / 2, m.Len() - 1} {
			m.Example(i, dst)
			for _, v := range dst {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("%s: digit %d has pixel %g outside [0, 1]", c.split, i, v)
				}
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		if lo != 0 || hi != 1 {
			t.Errorf("%s: pixels span [%g, %g], want [0, 1]", c.split, lo, hi)
		}
	}
}

// copyRealMNIST copies the real test split into a new directory, passing
// the decompressed bytes of the images file through edit, and writes that
// file raw or gzip-compressed.
func copyRealMNIST(t *testing.T, edit func([]byte) []byte, gz bool) (dir, imagesName string) {
	t.Helper()
	src := realMNISTDir(t)
	dir = t.TempDir()
	lbl, err := os.ReadFile(filepath.Join(src, "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "t10k-labels-idx1-ubyte.gz", lbl)
	f, err := os.Open(filepath.Join(src, "t10k-images-idx3-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	img, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	img = edit(img)
	if gz {
		imagesName = "t10k-images-idx3-ubyte.gz"
		writeFile(t, dir, imagesName, gzipBytes(t, img))
	} else {
		imagesName = "t10k-images-idx3-ubyte"
		writeFile(t, dir, imagesName, img)
	}
	return dir, imagesName
}

func TestLoadMNISTRealCorrupt(t *testing.T) {
	realMNISTDir(t)
	t.Run("truncated raw", func(t *testing.T) {
		dir, name := copyRealMNIST(t, func(b []byte) []byte { return b[:len(b)-784*3-5] }, false)
		_, err := LoadMNIST(dir, "test")
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v: want io.ErrUnexpectedEOF naming %s", err, name)
		}
	})
	t.Run("truncated gzip", func(t *testing.T) {
		src := realMNISTDir(t)
		dir := t.TempDir()
		for _, name := range []string{"t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"} {
			b, err := os.ReadFile(filepath.Join(src, name))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(name, "images") {
				b = b[:len(b)/2]
			}
			writeFile(t, dir, name, b)
		}
		_, err := LoadMNIST(dir, "test")
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "t10k-images-idx3-ubyte.gz") {
			t.Errorf("error %v: want io.ErrUnexpectedEOF naming the images file", err)
		}
	})
	t.Run("wrong magic", func(t *testing.T) {
		dir, name := copyRealMNIST(t, func(b []byte) []byte { b[2] = 0x0D; return b }, true)
		_, err := LoadMNIST(dir, "test")
		if !errors.Is(err, ErrIDX) || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v: want ErrIDX naming %s", err, name)
		}
	})
	t.Run("count mismatch", func(t *testing.T) {
		// Drop the last image and fix the header: 9999 images, 10000 labels.
		dir, name := copyRealMNIST(t, func(b []byte) []byte {
			b[7] = 0x0f // 10000 = 0x2710 -> 0x270f
			return b[:len(b)-784]
		}, false)
		_, err := LoadMNIST(dir, "test")
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "9999 images") {
			t.Errorf("error %v: want a count mismatch naming %s", err, name)
		}
	})
	t.Run("trailing bytes", func(t *testing.T) {
		dir, _ := copyRealMNIST(t, func(b []byte) []byte { return append(b, 0) }, true)
		if _, err := LoadMNIST(dir, "test"); !errors.Is(err, ErrIDX) {
			t.Errorf("error %v: want ErrIDX", err)
		}
	})
	t.Run("intact copy loads", func(t *testing.T) {
		dir, _ := copyRealMNIST(t, func(b []byte) []byte { return b }, false)
		m, err := LoadMNIST(dir, "test")
		if err != nil || m.Len() != 10000 {
			t.Errorf("raw copy of the test split: %v", err)
		}
	})
}
