package data

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
	return loadIDXImages("fashion-mnist", dir, split)
}
