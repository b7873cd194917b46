package viz

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"otgen/internal/atomicfile"
)

// SavePNG encodes img as PNG and writes it to path atomically: the image is
// written to a temporary file in the same directory, synced to disk and
// renamed over path. On any failure the temporary file is removed and an
// existing file at path is left untouched.
func SavePNG(path string, img image.Image) error {
	if img == nil {
		return inputErrorf("save %s: nil image", path)
	}
	return writeAtomic(path, func(w io.Writer) error {
		return png.Encode(w, img)
	})
}

// writeAtomic writes the bytes produced by write to path atomically (see
// atomicfile.Write).
func writeAtomic(path string, write func(io.Writer) error) error {
	if path == "" {
		return inputErrorf("empty file name")
	}
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("viz: %w", err)
	}
	return nil
}

// SaveGrid tiles a batch of images with Grid and saves the result with
// SavePNG. The arguments are those of Grid.
func SaveGrid(path string, images []float32, n, c, h, w, cols int, r Range) error {
	img, err := Grid(images, n, c, h, w, cols, r)
	if err != nil {
		return err // already names the problem; the file was not touched
	}
	return SavePNG(path, img)
}
