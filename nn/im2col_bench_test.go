package nn

import (
	"testing"
)

// BenchmarkIm2Col and BenchmarkCol2Im time the patch-matrix copies of one
// chunk of the DCGAN convolutions (the conv ops' other cost besides the
// products), in ns per patch-matrix value.
func BenchmarkIm2Col(b *testing.B) { benchPatches(b, false) }

func BenchmarkCol2Im(b *testing.B) { benchPatches(b, true) }

func benchPatches(b *testing.B, adjoint bool) {
	for _, c := range []struct {
		name       string
		c, h, w, k int
	}{
		{"mnist.c0", 1, 28, 28, 4}, {"mnist.c1", 64, 14, 14, 4},
		{"celeba.c1", 64, 32, 32, 4}, {"celeba.c2", 128, 16, 16, 4}, {"celeba.c3", 256, 8, 8, 4},
	} {
		b.Run(c.name, func(b *testing.B) {
			g, err := newGeom(64, c.c, c.h, c.w, c.k, 2, 1)
			if err != nil {
				b.Fatal(err)
			}
			p := g.oh * g.ow
			nb := max(1, min(g.n, (convChunkCols+p-1)/p))
			l := newPhaseLayout(g)
			img := make([]float32, nb*c.c*c.h*c.w)
			cols := make([]float32, c.c*c.k*c.k*nb*p)
			ph := make([]float32, nb*l.size)
			for i := range img {
				img[i] = float32(i % 7)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if adjoint {
					col2imT(img, cols, g, nb, l, ph)
				} else {
					im2colT(cols, img, g, nb, l, ph)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(cols)), "ns/value")
		})
	}
}
