package main

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"otgen/data"
	"otgen/internal/atomicfile"
	"otgen/viz"
)

// loadImage reads the JPEG or PNG file (recognised by its content) given
// to the flag --what with data.DecodeImage, which refuses an image of
// more than data.MaxImagePixels pixels from its header, before decoding
// it. Errors are one line naming the flag and the file.
func loadImage(what, path string) (image.Image, error) {
	if path == "" {
		return nil, fmt.Errorf("--%s: no file given", what)
	}
	img, err := data.DecodeImage(path, 0)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", what, err)
	}
	return img, nil
}

// imageFormat returns "png" or "jpeg" for an output file name by its
// extension (any case), or an error naming the flag --out.
func imageFormat(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return "png", nil
	case ".jpg", ".jpeg":
		return "jpeg", nil
	}
	return "", fmt.Errorf("--out %q: want a file name ending in .png, .jpg or .jpeg", path)
}

// checkOut refuses, before any work, an --out that cannot be written: an
// unknown extension, a folder, or a file in a folder that does not exist.
func checkOut(path string) error {
	if _, err := imageFormat(path); err != nil {
		return err
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("--out %s is a directory; want an image file name", path)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--out %s: folder %s: %w", path, dir, unwrapPathError(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("--out %s: %s is not a folder", path, dir)
	}
	return nil
}

// unwrapPathError drops the *fs.PathError around err, whose path the
// caller names already.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// saveImage writes img to path atomically, as PNG or as JPEG of quality
// 95, chosen by the extension of path (see imageFormat).
func saveImage(path string, img image.Image) error {
	format, err := imageFormat(path)
	if err != nil {
		return err
	}
	if format == "png" {
		return viz.SavePNG(path, img)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		return jpeg.Encode(w, img, &jpeg.Options{Quality: 95})
	})
}

// fit returns img scaled down (Catmull-Rom, anti-aliased) so that its
// longer side is at most side pixels, or img itself if it is that small.
func fit(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if max(w, h) <= side {
		return img
	}
	if w >= h {
		w, h = side, max(1, h*side/w)
	} else {
		w, h = max(1, w*side/h), side
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Rect, img, b, draw.Src, nil)
	return dst
}

// captionHeight is the height of the white strip that captioned adds.
const captionHeight = 20

// captioned returns img below a white strip with text centred in it.
func captioned(img image.Image, text string) *image.RGBA {
	b := img.Bounds()
	face := basicfont.Face7x13
	tw := font.MeasureString(face, text).Ceil()
	w := max(b.Dx(), tw+4)
	dst := image.NewRGBA(image.Rect(0, 0, w, b.Dy()+captionHeight))
	draw.Draw(dst, dst.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(dst, image.Rect(0, captionHeight, b.Dx(), captionHeight+b.Dy()), img, b.Min, draw.Src)
	d := font.Drawer{
		Dst:  dst,
		Src:  image.NewUniform(color.Black),
		Face: face,
		Dot:  fixed.P((w-tw)/2, captionHeight-6),
	}
	d.DrawString(text)
	return dst
}

// stackRows places rows of panels one under the other, left-aligned, with
// a viz.PanelGap white gap between them.
func stackRows(rows ...image.Image) *image.RGBA {
	w, h := 0, 0
	for i, r := range rows {
		if i > 0 {
			h += viz.PanelGap
		}
		w = max(w, r.Bounds().Dx())
		h += r.Bounds().Dy()
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Rect, image.White, image.Point{}, draw.Src)
	y := 0
	for _, r := range rows {
		b := r.Bounds()
		draw.Draw(dst, image.Rect(0, y, b.Dx(), y+b.Dy()), r, b.Min, draw.Src)
		y += b.Dy() + viz.PanelGap
	}
	return dst
}
