package data

import (
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/image/draw"
)

// Pixel ranges for ImageOptions.Range.
const (
	// Range01 maps a byte b to b/255, in [0, 1].
	Range01 = "[0,1]"
	// RangeSigned maps a byte b to b/127.5 - 1, in [-1, 1], the range of
	// a tanh output layer.
	RangeSigned = "[-1,1]"
)

// Policies for ImageOptions.OnCorrupt.
const (
	// OnCorruptStop makes opening fail with a *CorruptImageError naming
	// the first (by file name) image that cannot be read or decoded.
	OnCorruptStop = "stop"
	// OnCorruptSkip drops every image that cannot be read or decoded,
	// writes one warning line naming it to ImageOptions.Warn, and lists
	// it in Images.Skipped.
	OnCorruptSkip = "skip"
)

// DefaultImageSize is the side of the square images of an Images dataset
// when ImageOptions.Size is 0.
const DefaultImageSize = 64

// maxImageSize bounds ImageOptions.Size.
const maxImageSize = 4096

// ErrNoImages is wrapped by the errors of OpenImageFolder and OpenCelebA
// when no image is left to use: the folder holds no .jpg, .jpeg or .png
// file, the attribute filter matches none, or every image was skipped as
// corrupt.
var ErrNoImages = errors.New("data: no images")

// CorruptImageError reports an image file that cannot be read or decoded,
// including one whose header declares more pixels than
// ImageOptions.MaxPixels (the error then wraps ErrImageTooLarge).
// With OnCorruptStop, the error of OpenImageFolder and OpenCelebA wraps one;
// use errors.As to get the file's path.
type CorruptImageError struct {
	Path string // the file
	Err  error  // what went wrong reading or decoding it
}

// Error returns "corrupt image PATH: ERR", or "image PATH: ERR" for an
// image that is larger than the limit (ErrImageTooLarge) or is not a
// file.
func (e *CorruptImageError) Error() string {
	what := "corrupt image "
	var nf notFileError
	if errors.Is(e.Err, ErrImageTooLarge) || errors.As(e.Err, &nf) {
		what = "image "
	}
	return what + e.Path + ": " + e.Err.Error()
}

// Unwrap returns e.Err.
func (e *CorruptImageError) Unwrap() error { return e.Err }

// ImageOptions configures how OpenImageFolder and OpenCelebA turn image
// files into examples. The zero value is valid: 64x64, the largest
// centred square of every image, pixels in [0, 1], stop at the first
// corrupt file.
//
// Each image is cropped to a box, then resized to Size x Size with
// golang.org/x/image/draw's Catmull-Rom kernel (which widens when
// shrinking, so downscaling is anti-aliased; it is the kernel's separable
// Scale, five times faster than an affine Transform). Only the pixels of
// the crop box contribute. A box that is not square is stretched to the
// square. Transparent PNG pixels come out as if
// composited over black.
type ImageOptions struct {
	// Size is the side of the square output images; 0 means
	// DefaultImageSize (64). Examples have Shape [3 Size Size].
	Size int
	// Crop is the box to keep. If it is empty, the box is the largest
	// square centred in the image. If CropRef is zero, Crop is in the
	// pixel coordinates of every image (relative to its top-left corner)
	// and must lie inside each. If CropRef is set, Crop is in the
	// coordinates of an image of size CropRef, and is scaled to every
	// image's actual size, then rounded outwards to whole pixels, which
	// keeps a centred box centred: the CelebA box (19,39)-(159,179) of
	// 178x218 becomes (9.5,19.5)-(79.5,89.5), so the centred 71x71 box
	// (9,19)-(80,90), on an 89x109 copy. The centred square is rounded in
	// the same way.
	Crop image.Rectangle
	// CropRef is the image size that Crop refers to, or zero; see Crop.
	CropRef image.Point
	// Range is Range01 ("[0,1]", the default when empty) or RangeSigned
	// ("[-1,1]").
	Range string
	// OnCorrupt is OnCorruptStop ("stop", the default when empty) or
	// OnCorruptSkip ("skip").
	OnCorrupt string
	// Warn receives one line per image skipped with OnCorruptSkip. Nil
	// means os.Stderr; use io.Discard to silence it.
	Warn io.Writer
	// Workers is the number of images decoded at once; 0 means
	// runtime.NumCPU().
	Workers int
	// MaxPixels is the largest image, in pixels as the file's header
	// declares them, that is decoded; 0 means MaxImagePixels. A larger
	// image is a corrupt image (see OnCorrupt) whose error wraps
	// ErrImageTooLarge, refused before it is decoded.
	MaxPixels int
}

// Images is a dataset of RGB images read from a folder of JPEG and PNG
// files, by OpenImageFolder or OpenCelebA. It implements Dataset: Shape is
// [3 Size Size], channels first (R, G, B planes, each row-major), float32
// in the range of ImageOptions.Range.
//
// Every image is decoded, cropped and resized once, in parallel, when the
// dataset is opened, and kept as bytes: Len()*3*Size*Size bytes, e.g.
// 10,000 images at 64x64 take 122,880,000 bytes (117 MiB), and all
// 202,599 CelebA images 2.5 GB (a quarter of that at 32x32). Example
// then only converts bytes to float32 through a lookup table, so training
// never waits on JPEG decoding. Images is safe for concurrent use.
type Images struct {
	dir     string
	names   []string
	size    int
	dim     int          // 3*size*size
	pix     []uint8      // len(names)*dim, CHW image after image
	lut     [256]float32 // byte to pixel value
	skipped []string
}

// Len returns the number of images.
func (m *Images) Len() int { return len(m.names) }

// Shape returns [3 Size Size].
func (m *Images) Shape() []int { return []int{3, m.size, m.size} }

// Size returns the side of the square images.
func (m *Images) Size() int { return m.size }

// Example writes image i into dst as 3*Size*Size float32s, channels first:
// the R plane, then G, then B, each row by row. It panics unless
// 0 <= i < Len() and len(dst) == 3*Size*Size. It does not allocate.
func (m *Images) Example(i int, dst []float32) {
	if len(dst) != m.dim {
		panic(fmt.Sprintf("data: Images.Example: dst has %d values, want %d", len(dst), m.dim))
	}
	src := m.pix[i*m.dim : (i+1)*m.dim]
	dst = dst[:len(src)]
	for j, p := range src {
		dst[j] = m.lut[p]
	}
}

// Pixels returns the 3*Size*Size bytes of image i, channels first, without
// copying. The caller must not modify them. It panics unless
// 0 <= i < Len().
func (m *Images) Pixels(i int) []uint8 {
	return m.pix[i*m.dim : (i+1)*m.dim : (i+1)*m.dim]
}

// Name returns the file name of image i, without its folder. It panics
// unless 0 <= i < Len().
func (m *Images) Name(i int) string { return m.names[i] }

// Path returns the path of the file of image i. It panics unless
// 0 <= i < Len().
func (m *Images) Path(i int) string { return filepath.Join(m.dir, m.names[i]) }

// Skipped returns the paths of the files dropped as corrupt with
// OnCorruptSkip, in name order; it is empty otherwise.
func (m *Images) Skipped() []string { return append([]string(nil), m.skipped...) }

// OpenImageFolder decodes every *.jpg, *.jpeg and *.png file directly in
// dir (not in subfolders; the extension's case does not matter), in name
// order, into an Images dataset, as opts says. See ImageOptions and
// Images for the processing and the memory it takes.
//
// A missing dir is an error wrapping fs.ErrNotExist; a folder without
// images, or whose images were all skipped, an error wrapping ErrNoImages;
// a corrupt image with OnCorruptStop an error wrapping *CorruptImageError.
func OpenImageFolder(dir string, opts ImageOptions) (*Images, error) {
	const what = "data: image folder"
	o, err := opts.resolve()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	names, err := listImages(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return loadImages(what, dir, names, o)
}

// resolvedOptions are ImageOptions with defaults applied and checked.
type resolvedOptions struct {
	ImageOptions
	skip bool
}

// resolve applies the defaults of o and checks it.
func (o ImageOptions) resolve() (resolvedOptions, error) {
	r := resolvedOptions{ImageOptions: o}
	if r.Size == 0 {
		r.Size = DefaultImageSize
	}
	if r.Size < 1 || r.Size > maxImageSize {
		return r, fmt.Errorf("image size %d, want 1 to %d", o.Size, maxImageSize)
	}
	switch r.Range {
	case "":
		r.Range = Range01
	case Range01, RangeSigned:
	default:
		return r, fmt.Errorf("unknown pixel range %q (valid: %q, %q)", o.Range, Range01, RangeSigned)
	}
	switch r.OnCorrupt {
	case "", OnCorruptStop:
		r.OnCorrupt = OnCorruptStop
	case OnCorruptSkip:
		r.skip = true
	default:
		return r, fmt.Errorf("unknown corrupt-image policy %q (valid: %q, %q)", o.OnCorrupt, OnCorruptStop, OnCorruptSkip)
	}
	if r.Warn == nil {
		r.Warn = os.Stderr
	}
	if r.Workers < 0 {
		return r, fmt.Errorf("%d workers, want 0 (one per CPU) or more", o.Workers)
	}
	if r.Workers == 0 {
		r.Workers = runtime.NumCPU()
	}
	if r.MaxPixels < 0 {
		return r, fmt.Errorf("pixel limit %d is negative (0: data.MaxImagePixels)", o.MaxPixels)
	}
	c := r.Crop
	if !c.Empty() && (c.Min.X < 0 || c.Min.Y < 0) {
		return r, fmt.Errorf("crop box %v has a negative corner", c)
	}
	if r.CropRef != (image.Point{}) {
		if r.CropRef.X <= 0 || r.CropRef.Y <= 0 {
			return r, fmt.Errorf("crop reference size %v is not positive", r.CropRef)
		}
		if c.Empty() {
			return r, fmt.Errorf("crop reference size %v given without a crop box", r.CropRef)
		}
		if !c.In(image.Rect(0, 0, r.CropRef.X, r.CropRef.Y)) {
			return r, fmt.Errorf("crop box %v is not inside its reference size %v", c, r.CropRef)
		}
	}
	return r, nil
}

// isImageName reports whether name has a .jpg, .jpeg or .png extension.
func isImageName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg", ".png":
		return true
	}
	return false
}

// listImages returns the names of the image files directly in dir, sorted.
// A missing dir wraps fs.ErrNotExist and an empty one ErrNoImages.
func listImages(dir string) ([]string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("image directory %s does not exist (pass --data-dir or set %s to the data folder): %w", dir, DataEnv, err)
		}
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !isImageName(e.Name()) {
			continue
		}
		if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s holds no .jpg, .jpeg or .png files: %w", dir, ErrNoImages)
	}
	return names, nil
}

// loadImages decodes the named files of dir in parallel into an Images
// dataset. what prefixes errors and warnings.
func loadImages(what, dir string, names []string, o resolvedOptions) (*Images, error) {
	n := len(names)
	size := o.Size
	dim := 3 * size * size
	if n > math.MaxInt/dim {
		return nil, fmt.Errorf("%s: %d images of %dx%d do not fit in memory", what, n, size, size)
	}
	pix := make([]uint8, n*dim)
	errs := make([]error, n)

	// Workers claim indices in increasing order. After a stopping error at
	// index k, no index above k is started; every index below k was
	// already claimed and finishes. The first error by index is therefore
	// the same whatever the scheduling.
	var next atomic.Int64
	var stopAt atomic.Int64
	stopAt.Store(int64(n))
	workers := min(o.Workers, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{rgba: image.NewRGBA(image.Rect(0, 0, size, size))}
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || i > stopAt.Load() {
					return
				}
				err := w.process(filepath.Join(dir, names[i]), &o.ImageOptions, pix[int(i)*dim:(int(i)+1)*dim])
				if err == nil {
					continue
				}
				errs[i] = err
				var ce *CorruptImageError
				if o.skip && errors.As(err, &ce) {
					continue
				}
				for {
					s := stopAt.Load()
					if i >= s || stopAt.CompareAndSwap(s, i) {
						break
					}
				}
			}
		}()
	}
	wg.Wait()

	m := &Images{dir: dir, size: size, dim: dim}
	kept := 0
	for i, err := range errs {
		if err != nil {
			var ce *CorruptImageError
			if !o.skip || !errors.As(err, &ce) {
				if ce != nil {
					return nil, fmt.Errorf("%s: %w (OnCorrupt %q skips such files)", what, err, OnCorruptSkip)
				}
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			path := filepath.Join(dir, names[i])
			m.skipped = append(m.skipped, path)
			fmt.Fprintf(o.Warn, "%s: warning: skipping %v\n", what, err)
			continue
		}
		if kept != i {
			copy(pix[kept*dim:(kept+1)*dim], pix[i*dim:(i+1)*dim])
		}
		names[kept] = names[i]
		kept++
	}
	if kept == 0 {
		return nil, fmt.Errorf("%s: all %d images of %s are corrupt: %w", what, n, dir, ErrNoImages)
	}
	if kept < n {
		// Give the unused tail back to the garbage collector.
		pix = append([]uint8(nil), pix[:kept*dim]...)
	}
	m.names = names[:kept:kept]
	m.pix = pix
	for b := range m.lut {
		if o.Range == RangeSigned {
			m.lut[b] = float32(float64(b)/127.5 - 1)
		} else {
			m.lut[b] = float32(b) / 255
		}
	}
	return m, nil
}

// worker holds what one decoding goroutine reuses from image to image.
type worker struct {
	rgba   *image.RGBA // Size x Size
	scaler draw.Scaler // for crop boxes of size box
	box    image.Point
}

// process decodes the file at path, crops and resizes it into w.rgba
// (Size x Size) as o says, and writes it channels first into dst.
func (w *worker) process(path string, o *ImageOptions, dst []uint8) error {
	img, err := decodeImageFile(path, o.MaxPixels)
	if err != nil {
		return &CorruptImageError{Path: path, Err: err}
	}
	b := img.Bounds()
	sr, err := cropBox(b, o.Crop, o.CropRef)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	rgba := w.rgba
	size := rgba.Rect.Dx()
	if w.scaler == nil || w.box != sr.Size() {
		// Its weights depend only on the sizes, which are usually the
		// same for every image of a folder.
		w.box = sr.Size()
		w.scaler = draw.CatmullRom.NewScaler(size, size, w.box.X, w.box.Y)
	}
	w.scaler.Scale(rgba, rgba.Rect, img, sr, draw.Src, nil)

	plane := size * size
	r, g, bl := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
	for y := range size {
		row := rgba.Pix[y*rgba.Stride : y*rgba.Stride+4*size]
		for x := range size {
			k := y*size + x
			r[k], g[k], bl[k] = row[4*x], row[4*x+1], row[4*x+2]
		}
	}
	return nil
}

// cropBox returns the crop box of an image with bounds b, in its
// coordinates, rounded to whole pixels and never empty; see
// ImageOptions.Crop.
func cropBox(b, crop image.Rectangle, ref image.Point) (image.Rectangle, error) {
	w, h := float64(b.Dx()), float64(b.Dy())
	var x0, y0, x1, y1 float64
	switch {
	case crop.Empty():
		side := min(w, h)
		x0, y0 = (w-side)/2, (h-side)/2
		x1, y1 = x0+side, y0+side
	case ref == image.Point{}:
		if !crop.Add(b.Min).In(b) {
			return image.Rectangle{}, fmt.Errorf("crop box %v is not inside the %dx%d image", crop, b.Dx(), b.Dy())
		}
		return crop.Add(b.Min), nil
	default:
		fx, fy := w/float64(ref.X), h/float64(ref.Y)
		x0, y0 = float64(crop.Min.X)*fx, float64(crop.Min.Y)*fy
		x1, y1 = float64(crop.Max.X)*fx, float64(crop.Max.Y)*fy
	}
	r := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1)))
	r.Max.X = max(r.Max.X, r.Min.X+1)
	r.Max.Y = max(r.Max.Y, r.Min.Y+1)
	r = r.Add(b.Min).Intersect(b)
	if r.Empty() { // cannot happen for a box inside its reference size
		return image.Rectangle{}, fmt.Errorf("crop box %v is empty on the %dx%d image", crop, b.Dx(), b.Dy())
	}
	return r, nil
}
