package colour

import (
	"image"
	_ "image/jpeg" // the photos
	"os"
	"path/filepath"
	"testing"
)

// loadPhotos returns the two 1600x1000 photos of $OTGEN_DATA/photos.
func loadPhotos(b *testing.B) (image.Image, image.Image) {
	root := os.Getenv("OTGEN_DATA")
	if root == "" {
		b.Skip("OTGEN_DATA not set: the benchmark needs $OTGEN_DATA/photos")
	}
	var imgs []image.Image
	for _, name := range []string{"evening_glow_sunset.jpg", "path_green_forest.jpg"} {
		f, err := os.Open(filepath.Join(root, "photos", name))
		if err != nil {
			b.Fatal(err)
		}
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	return imgs[0], imgs[1]
}

// BenchmarkTransfer is the colour transfer of the issue on the real photos
// (1.6 Mpx each), m = 1000, exact OT per pair, all cores: "k=1000" is the
// 1000 pairs of POT's loop (pot_ot.py --parts colour), the remaining
// 600,000 pixels going through the nearest-colour extension; "k=auto" is
// the default, 1600 pairs, every pixel drawn once.
func BenchmarkTransfer(b *testing.B) {
	src, tgt := loadPhotos(b)
	for _, c := range []struct {
		name string
		k    int
	}{{"k=1000", 1000}, {"k=auto", 0}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				res, err := Transfer(src, tgt, Options{M: 1000, K: c.k, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(res.K), "pairs")
				b.ReportMetric(res.Cost, "meanW2sq")
			}
		})
	}
}
