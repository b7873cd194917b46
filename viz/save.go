package viz

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
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

// writeAtomic writes the bytes produced by write to path through a temporary
// file in the same directory, which is synced, closed, given mode 0644 and
// renamed over path. The temporary file never outlives a failure.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	if path == "" {
		return inputErrorf("empty file name")
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("viz: write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close() // may already be closed; the error is the first one
			_ = os.Remove(tmp)
		}
	}()

	bw := bufio.NewWriter(f)
	if err = write(bw); err != nil {
		return fmt.Errorf("viz: write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("viz: write %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("viz: write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("viz: sync %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("viz: close %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("viz: rename %s: %w", path, err)
	}
	// Make the rename durable. Not every platform can sync a directory,
	// and the file itself is already complete, so a failure here is ignored.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
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
