package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DataEnv is the environment variable that names otgen's data folder, the
// folder that holds mnist/ and the other datasets.
const DataEnv = "OTGEN_DATA"

// MNIST image geometry.
const (
	MNISTRows    = 28
	MNISTCols    = 28
	MNISTClasses = 10
)

// ErrNoDataDir is returned, wrapped, by DefaultMNISTDir when DataEnv is not
// set.
var ErrNoDataDir = errors.New("data: " + DataEnv + " is not set")

// MNIST is one split of the MNIST digits, read from IDX files. It
// implements Labeled: Shape is [1 28 28], pixels are float32 in [0, 1]
// (byte/255) and labels are 0 to 9. It keeps the pixels as bytes, 784 a
// digit, and converts them in Example. It is safe for concurrent use.
type MNIST struct {
	n      int
	images []uint8      // n*28*28, digit after digit, row-major
	labels []uint8      // n
	pixel  [256]float32 // pixel[b] = b/255: a lookup is faster than a division
}

// newMNIST returns the MNIST set of n digits with the given pixels and
// labels, which it keeps.
func newMNIST(n int, images, labels []uint8) *MNIST {
	m := &MNIST{n: n, images: images, labels: labels}
	for b := range m.pixel {
		m.pixel[b] = float32(b) / 255
	}
	return m
}

// DefaultMNISTDir returns $OTGEN_DATA/mnist. If OTGEN_DATA is unset or
// empty, it returns "" and an error wrapping ErrNoDataDir that tells the
// user to set it or pass --data-dir.
func DefaultMNISTDir() (string, error) {
	root := os.Getenv(DataEnv)
	if root == "" {
		return "", fmt.Errorf("%w: set it to the data folder that holds mnist/, or pass --data-dir", ErrNoDataDir)
	}
	return filepath.Join(root, "mnist"), nil
}

// LoadMNIST reads the split "train" (60,000 digits) or "test" (10,000
// digits) of MNIST from dir. It looks for the usual file names,
// gzip-compressed or not: train-images-idx3-ubyte(.gz) and
// train-labels-idx1-ubyte(.gz), or t10k-images-idx3-ubyte(.gz) and
// t10k-labels-idx1-ubyte(.gz), also with a dot before "idx".
//
// Errors name the file and what is wrong with it. A missing dir or file
// wraps fs.ErrNotExist; a malformed file wraps ErrIDX. Images must be
// 28x28, there must be one label per image, and every label must be 0 to 9.
func LoadMNIST(dir, split string) (*MNIST, error) {
	return loadIDXImages("mnist", dir, split)
}

// loadIDXImages reads a split of an MNIST-format dataset (MNIST,
// Fashion-MNIST: the same file names and layout) called name in messages.
func loadIDXImages(name, dir, split string) (*MNIST, error) {
	what := "data: " + name
	var prefix string
	switch split {
	case "train":
		prefix = "train"
	case "test":
		prefix = "t10k"
	default:
		return nil, fmt.Errorf("%s: unknown split %q (valid: train, test)", what, split)
	}
	if info, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: directory %s does not exist (set --data-dir or %s, or download it with: go run ./cmd/data fetch %s): %w", what, dir, DataEnv, name, err)
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	} else if !info.IsDir() {
		return nil, fmt.Errorf("%s: %s is not a directory", what, dir)
	}

	imgPath, err := findMNISTFile(what, dir, prefix, "images", "idx3")
	if err != nil {
		return nil, err
	}
	lblPath, err := findMNISTFile(what, dir, prefix, "labels", "idx1")
	if err != nil {
		return nil, err
	}
	img, err := readIDXFile(imgPath)
	if err != nil {
		return nil, err
	}
	if len(img.Dims) != 3 || img.Dims[1] != MNISTRows || img.Dims[2] != MNISTCols {
		return nil, fmt.Errorf("%s: %s: images have dimensions %v, want [N %d %d]", what, imgPath, img.Dims, MNISTRows, MNISTCols)
	}
	lbl, err := readIDXFile(lblPath)
	if err != nil {
		return nil, err
	}
	if len(lbl.Dims) != 1 {
		return nil, fmt.Errorf("%s: %s: labels have dimensions %v, want [N]", what, lblPath, lbl.Dims)
	}
	n := img.Dims[0]
	if lbl.Dims[0] != n {
		return nil, fmt.Errorf("%s: %s has %d images but %s has %d labels", what, imgPath, n, lblPath, lbl.Dims[0])
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: %s holds no images", what, imgPath)
	}
	for i, l := range lbl.Data {
		if l >= MNISTClasses {
			return nil, fmt.Errorf("%s: %s: label %d of example %d is not a class 0-9", what, lblPath, l, i)
		}
	}
	return newMNIST(n, img.Data, lbl.Data), nil
}

// findMNISTFile returns the path of the first existing file of an
// MNIST-format dataset (what names it in errors) of the given prefix
// ("train", "t10k"), kind ("images", "labels") and IDX version ("idx3",
// "idx1") in dir, or an error wrapping fs.ErrNotExist that lists the names
// tried.
func findMNISTFile(what, dir, prefix, kind, idx string) (string, error) {
	var tried []string
	var notFile fs.FileInfo // the first name that exists but is no file
	var notFilePath string
	for _, sep := range []string{"-", "."} {
		for _, ext := range []string{".gz", ""} {
			name := prefix + "-" + kind + sep + idx + "-ubyte" + ext
			path := filepath.Join(dir, name)
			info, err := os.Stat(path)
			if err == nil && info.Mode().IsRegular() {
				return path, nil
			}
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("%s: %w", what, err)
			}
			if err == nil && notFile == nil {
				notFile = info
				notFilePath = path
			}
			tried = append(tried, name)
		}
	}
	if notFile != nil {
		is := "is not a regular file"
		if notFile.IsDir() {
			is = "is a directory"
		}
		return "", fmt.Errorf("%s: %s %s, not an IDX file", what, notFilePath, is)
	}
	return "", fmt.Errorf("%s: no %s %s file in %s (tried %s): %w", what, prefix, kind, dir, strings.Join(tried, ", "), fs.ErrNotExist)
}

// readIDXFile reads the IDX file at path; its errors name the file.
func readIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: mnist: %w", err)
	}
	defer f.Close()
	x, err := ReadIDX(f)
	if err != nil {
		return nil, fmt.Errorf("data: mnist: %s: %w", path, err)
	}
	return x, nil
}

// Len returns the number of digits.
func (m *MNIST) Len() int { return m.n }

// Shape returns [1 28 28].
func (m *MNIST) Shape() []int { return []int{1, MNISTRows, MNISTCols} }

// Example writes digit i into dst as 784 float32 pixels in [0, 1], row by
// row. It panics unless 0 <= i < Len() and len(dst) == 784.
func (m *MNIST) Example(i int, dst []float32) {
	const size = MNISTRows * MNISTCols
	if len(dst) != size {
		panic(fmt.Sprintf("data: MNIST.Example: dst has %d values, want %d", len(dst), size))
	}
	src := m.images[i*size : (i+1)*size]
	dst = dst[:len(src)]
	for j, p := range src {
		dst[j] = m.pixel[p]
	}
}

// Label returns the digit 0-9 shown by example i. It panics unless
// 0 <= i < Len().
func (m *MNIST) Label(i int) int { return int(m.labels[i]) }

// Pixels returns the 784 bytes of digit i, row by row, without copying.
// The caller must not modify them. It panics unless 0 <= i < Len().
func (m *MNIST) Pixels(i int) []uint8 {
	const size = MNISTRows * MNISTCols
	return m.images[i*size : (i+1)*size : (i+1)*size]
}
