package data

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
)

// MaxImagePixels is the largest image, in pixels (width × height as the
// file's header declares them), that DecodeImage and the image datasets
// decode when no other limit is given: 2^26 = 67,108,864 pixels, e.g.
// 8192×8192 or a 10,000×6,700 photo. Decoding takes between 1.5 bytes
// per pixel (baseline JPEG) and about 15 bytes per pixel (progressive
// 4:4:4 JPEG, 16-bit RGBA PNG), so the limit bounds one decoded image to
// about 1 GB. Pass a larger limit to DecodeImage (or
// ImageOptions.MaxPixels) for bigger images.
const MaxImagePixels = 1 << 26

// ErrImageTooLarge is wrapped by the errors of DecodeImage (and of the
// image datasets) for an image whose header declares more pixels than the
// limit. The image is refused before any of its pixels is decoded.
var ErrImageTooLarge = errors.New("data: image too large")

// tooLargeError is the error of an image over the pixel limit; it wraps
// ErrImageTooLarge without repeating its text.
type tooLargeError string

func (e tooLargeError) Error() string { return string(e) }
func (e tooLargeError) Unwrap() error { return ErrImageTooLarge }

// notFileError is the error of decodeImageFile for a path that is a
// folder, a device or a pipe.
type notFileError string

func (e notFileError) Error() string { return string(e) }

// DecodeImage reads the JPEG or PNG file at path (the format is recognised
// by the file's first bytes, not its name). It first reads the image's
// header and refuses, before decoding anything, an image that declares
// more than maxPixels pixels (width × height); maxPixels <= 0 means
// MaxImagePixels. A file whose header declares 100000×100000 pixels thus
// costs a few bytes of reading, not 40 GB of memory.
//
// Every error is one line that names the file: a missing file wraps
// fs.ErrNotExist, a folder says "is a directory", an image over the limit
// wraps ErrImageTooLarge and gives its declared size, and a file that is
// not a readable JPEG or PNG, or has no pixels, says why.
func DecodeImage(path string, maxPixels int) (image.Image, error) {
	img, err := decodeImageFile(path, maxPixels)
	if err != nil {
		return nil, fmt.Errorf("data: image %s: %w", path, err)
	}
	return img, nil
}

// decodeImageFile is DecodeImage whose errors do not name the file.
func decodeImageFile(path string, maxPixels int) (image.Image, error) {
	if maxPixels <= 0 {
		maxPixels = MaxImagePixels
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, unwrapPath(err)
	}
	if st.IsDir() {
		return nil, notFileError("is a directory, not an image file")
	}
	if !st.Mode().IsRegular() {
		return nil, notFileError(fmt.Sprintf("is not a regular file (mode %v)", st.Mode().Type()))
	}
	br := bufio.NewReader(f)
	decodeConfig, decode, err := sniffImage(br)
	if err != nil {
		return nil, err
	}
	cfg, err := decodeConfig(br)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if err := checkImageSize(cfg.Width, cfg.Height, maxPixels); err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	br.Reset(f)
	img, err := decode(br)
	if err != nil {
		return nil, err
	}
	if img.Bounds().Empty() {
		return nil, errors.New("image has no pixels")
	}
	return img, nil
}

// unwrapPath drops the *fs.PathError around err (its path is named by the
// caller), keeping what it wraps so that errors.Is still works.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// Magic bytes of the two formats.
var (
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	jpegMagic = []byte{0xff, 0xd8}
)

// sniffImage recognises PNG or JPEG from the first bytes of r (without
// consuming them) and returns the format's config and image decoders.
func sniffImage(r *bufio.Reader) (func(io.Reader) (image.Config, error), func(io.Reader) (image.Image, error), error) {
	head, _ := r.Peek(len(pngMagic))
	switch {
	case bytes.HasPrefix(head, pngMagic):
		return png.DecodeConfig, png.Decode, nil
	case bytes.HasPrefix(head, jpegMagic):
		return jpeg.DecodeConfig, func(r io.Reader) (image.Image, error) { return jpeg.Decode(r) }, nil
	case len(head) == 0:
		return nil, nil, errors.New("empty file, not a JPEG or PNG image")
	}
	return nil, nil, errors.New("not a JPEG or PNG image")
}

// checkImageSize refuses a declared size of more than maxPixels pixels.
func checkImageSize(w, h, maxPixels int) error {
	if w < 0 || h < 0 || (h > 0 && w > maxPixels/h) {
		return tooLargeError(fmt.Sprintf("declared size %dx%d is %d pixels, more than the limit of %d",
			w, h, int64(w)*int64(h), maxPixels))
	}
	return nil
}
