package data_test

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"otgen/data"
)

// DecodeImage reads a PNG or JPEG file, refusing from its header an image
// with more pixels than the limit (0: data.MaxImagePixels).
func ExampleDecodeImage() {
	dir, err := os.MkdirTemp("", "otgen-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tiny.png")
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, image.NewGray(image.Rect(0, 0, 3, 2))); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}

	img, err := data.DecodeImage(path, 0)
	fmt.Println(img.Bounds().Size(), err)
	_, err = data.DecodeImage(path, 5) // at most 5 pixels
	fmt.Println(errors.Is(err, data.ErrImageTooLarge))
	// Output:
	// (3,2) <nil>
	// true
}
