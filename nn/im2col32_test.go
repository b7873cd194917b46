package nn

import (
	"math/rand/v2"
	"testing"
)

// TestIm2ColFloat32MatchesDefinition checks the float32 im2col and col2im
// (the vector runs, where they run) against their definitions on the
// strides and paddings of the DCGANs and a few others.
func TestIm2ColFloat32MatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, c := range []struct{ n, c, h, w, k, s, p int }{
		{3, 2, 14, 14, 4, 2, 1}, {2, 3, 8, 8, 4, 2, 1}, {2, 1, 64, 64, 4, 2, 1},
		{3, 2, 9, 7, 3, 1, 1}, {2, 2, 11, 13, 5, 3, 2}, {2, 1, 40, 40, 3, 1, 0},
	} {
		g, err := newGeom(c.n, c.c, c.h, c.w, c.k, c.s, c.p)
		if err != nil {
			t.Fatal(err)
		}
		l := newPhaseLayout(g)
		p := g.oh * g.ow
		img := make([]float32, c.n*c.c*c.h*c.w)
		for i := range img {
			img[i] = rng.Float32()
		}
		cols := make([]float32, c.c*c.k*c.k*c.n*p)
		ph := make([]float32, c.n*l.size)
		im2colT(cols, img, g, c.n, l, ph)
		// The definition: row (ch, ky, kx), column (j, oy, ox) holds pixel
		// (oy·s+ky−p, ox·s+kx−p) of channel ch of image j, or 0 outside.
		pix := func(j, ch, y, x int) float32 {
			if y < 0 || y >= c.h || x < 0 || x >= c.w {
				return 0
			}
			return img[((j*c.c+ch)*c.h+y)*c.w+x]
		}
		back := make([]float64, len(img))
		for ch := 0; ch < c.c; ch++ {
			for ky := 0; ky < c.k; ky++ {
				for kx := 0; kx < c.k; kx++ {
					row := (ch*c.k+ky)*c.k + kx
					for j := 0; j < c.n; j++ {
						for oy := 0; oy < g.oh; oy++ {
							for ox := 0; ox < g.ow; ox++ {
								y, x := oy*c.s+ky-c.p, ox*c.s+kx-c.p
								got := cols[row*c.n*p+j*p+oy*g.ow+ox]
								if want := pix(j, ch, y, x); got != want {
									t.Fatalf("%+v: im2col row %d column (%d,%d,%d) = %v, want %v", c, row, j, oy, ox, got, want)
								}
								if y >= 0 && y < c.h && x >= 0 && x < c.w {
									back[((j*c.c+ch)*c.h+y)*c.w+x] += float64(got)
								}
							}
						}
					}
				}
			}
		}
		// col2im of the patch matrix sums each pixel once per tap reading it.
		out := make([]float32, len(img))
		col2imT(out, cols, g, c.n, l, ph)
		for i, v := range out {
			if d := float64(v) - back[i]; d > 1e-5 || d < -1e-5 {
				t.Fatalf("%+v: col2im value %d = %v, want %v", c, i, v, back[i])
			}
		}
	}
}
