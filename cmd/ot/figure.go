package main

import (
	"fmt"
	"image"
	"image/color"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"otgen/data"
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
