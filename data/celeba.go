package data

import (
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
)

// CelebA layout and face box.
const (
	// CelebAImages is the default folder of the aligned images inside
	// the CelebA folder.
	CelebAImages = "img_align_celeba"
	// CelebAAttrFile is the default attribute file inside the CelebA
	// folder.
	CelebAAttrFile = "list_attr_celeba.txt"
)

// CelebACrop is the face box that OpenCelebA keeps by default, in the
// coordinates of an original 178x218 aligned image (CelebARef): the
// central 140x140 square, at offset (19, 39). It is the crop of the WAE
// paper and of the usual DCGAN CelebA pipelines (centre crop 140, resize
// to 64). On images of another size it is scaled proportionally and
// rounded outwards to whole pixels, so that it stays centred: on the
// 89x109 copies, (9.5,19.5)-(79.5,89.5) becomes the centred 71x71 box
// (9,19)-(80,90), 1.4% wider than the exact box.
var CelebACrop = image.Rect(19, 39, 159, 179)

// CelebARef is the size of an original aligned CelebA image, the
// reference of CelebACrop.
var CelebARef = image.Pt(178, 218)

// CelebAOptions configures OpenCelebA. The zero value reads every image of
// img_align_celeba, keeps the CelebACrop face box, resizes it to 64x64
// with pixels in [0, 1], and stops at a corrupt file.
type CelebAOptions struct {
	// ImageOptions says how images are decoded. If Crop is empty, the
	// face box CelebACrop (relative to CelebARef) is used instead of the
	// centred square.
	ImageOptions
	// Images is the folder of the images, relative to the CelebA folder;
	// empty means CelebAImages ("img_align_celeba").
	Images string
	// AttrFile is the attribute file, relative to the CelebA folder;
	// empty means CelebAAttrFile ("list_attr_celeba.txt"). It is read
	// only if Attr is not empty.
	AttrFile string
	// Attr keeps only the images whose attributes have the given values,
	// e.g. AttrFilter{"Male": 1}; see ParseAttrFilter for the flag
	// syntax. Empty keeps every image.
	Attr AttrFilter
	// Limit, if positive, keeps only the first Limit image files by name,
	// before Attr filters them: Limit 1000 with Male=1 gives the men
	// among the first 1,000 images.
	Limit int
}

// DefaultCelebADir returns $OTGEN_DATA/celeba. If OTGEN_DATA is unset or
// empty, it returns "" and an error wrapping ErrNoDataDir that tells the
// user to set it or pass --data-dir.
func DefaultCelebADir() (string, error) {
	root := os.Getenv(DataEnv)
	if root == "" {
		return "", fmt.Errorf("%w: set it to the data folder that holds celeba/, or pass --data-dir", ErrNoDataDir)
	}
	return filepath.Join(root, "celeba"), nil
}

// OpenCelebA reads CelebA from dir, the folder that holds
// img_align_celeba/ and list_attr_celeba.txt, as opts says, into an Images
// dataset of Shape [3 Size Size] (64x64 by default). Both the original
// 178x218 aligned images and smaller copies of the same aspect work: the
// face box is scaled to each image (see CelebACrop). Images are in file
// name order. See Images for the memory this takes.
//
// A missing folder is an error wrapping fs.ErrNotExist that says to pass
// --data-dir or set OTGEN_DATA; no image to use wraps ErrNoImages; a
// corrupt image with OnCorruptStop wraps *CorruptImageError. Errors in the
// attribute file name the file and line, and an unknown attribute lists
// the valid ones.
func OpenCelebA(dir string, opts CelebAOptions) (*Images, error) {
	const what = "data: celeba"
	if opts.Crop.Empty() {
		opts.Crop, opts.CropRef = CelebACrop, CelebARef
	}
	o, err := opts.ImageOptions.resolve()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if opts.Limit < 0 {
		return nil, fmt.Errorf("%s: limit %d is negative", what, opts.Limit)
	}
	if info, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: directory %s does not exist (pass --data-dir or set %s to the data folder that holds celeba/): %w", what, dir, DataEnv, err)
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	} else if !info.IsDir() {
		return nil, fmt.Errorf("%s: %s is not a directory", what, dir)
	}
	sub := opts.Images
	if sub == "" {
		sub = CelebAImages
	}
	imgDir := filepath.Join(dir, sub)
	names, err := listImages(imgDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if opts.Limit > 0 && opts.Limit < len(names) {
		names = names[:opts.Limit]
	}
	if len(opts.Attr) > 0 {
		attrName := opts.AttrFile
		if attrName == "" {
			attrName = CelebAAttrFile
		}
		attrPath := filepath.Join(dir, attrName)
		attrs, err := loadAttributes(attrPath)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		all := len(names)
		names, err = attrs.Select(names, opts.Attr)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", what, attrPath, err)
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("%s: none of the %d images of %s has %s: %w", what, all, imgDir, opts.Attr, ErrNoImages)
		}
	}
	return loadImages(what, imgDir, names, o)
}
