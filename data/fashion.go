package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Fashion-MNIST (Xiao, Rasul and Vollgraf, Zalando Research, 2017) is a
// drop-in replacement of MNIST: 60,000 training and 10,000 test images of
// clothes, 28x28 grey, in 10 classes, in MNIST's IDX files under MNIST's
// file names. LoadFashionMNIST reads it into the MNIST type.

// FashionMNISTClass returns the name of Fashion-MNIST class label (0 to
// 9): "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
// "Shirt", "Sneaker", "Bag", "Ankle boot"; "" for another number.
func FashionMNISTClass(label int) string {
	names := [MNISTClasses]string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	if label < 0 || label >= len(names) {
		return ""
	}
	return names[label]
}

// LoadFashionMNIST reads the split "train" (60,000 images) or "test"
// (10,000) of Fashion-MNIST from dir, as LoadMNIST reads MNIST: the files
// train-images-idx3-ubyte(.gz) and train-labels-idx1-ubyte(.gz), or
// t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz). The result
// is an *MNIST (Shape [1 28 28], pixels in [0, 1], labels 0 to 9, named
// by FashionMNISTClass).
//
// Errors name the file and what is wrong. A missing dir or file wraps
// fs.ErrNotExist; a malformed file wraps ErrIDX.
func LoadFashionMNIST(dir, split string) (*MNIST, error) {
	const what = "data: fashion-mnist"
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
			return nil, fmt.Errorf("%s: directory %s does not exist (download it with: go run ./cmd/data fetch fashion-mnist): %w", what, dir, err)
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	} else if !info.IsDir() {
		return nil, fmt.Errorf("%s: %s is not a directory", what, dir)
	}
	read := func(kind, idx string) (*IDX, string, error) {
		var tried []string
		for _, sep := range []string{"-", "."} {
			for _, ext := range []string{".gz", ""} {
				name := prefix + "-" + kind + sep + idx + "-ubyte" + ext
				path := filepath.Join(dir, name)
				f, err := os.Open(path)
				if errors.Is(err, fs.ErrNotExist) {
					tried = append(tried, name)
					continue
				}
				if err != nil {
					return nil, path, fmt.Errorf("%s: %w", what, err)
				}
				x, err := ReadIDX(f)
				f.Close()
				if err != nil {
					return nil, path, fmt.Errorf("%s: %s: %w", what, path, err)
				}
				return x, path, nil
			}
		}
		return nil, "", fmt.Errorf("%s: no %s %s file in %s (tried %s): %w", what, prefix, kind, dir, strings.Join(tried, ", "), fs.ErrNotExist)
	}
	img, imgPath, err := read("images", "idx3")
	if err != nil {
		return nil, err
	}
	if len(img.Dims) != 3 || img.Dims[1] != MNISTRows || img.Dims[2] != MNISTCols {
		return nil, fmt.Errorf("%s: %s: images have dimensions %v, want [N %d %d]", what, imgPath, img.Dims, MNISTRows, MNISTCols)
	}
	lbl, lblPath, err := read("labels", "idx1")
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
