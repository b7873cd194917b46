package nn

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// convOpCases have enough examples and output pixels that the ops split
// the batch into several chunks of several examples (and chunks of one),
// over one to three workers.
var convOpCases = []struct{ n, c, o, h, w, k, s, p int }{
	{13, 2, 3, 10, 10, 3, 1, 1}, // 100 output pixels: chunks of 6
	{7, 3, 4, 20, 19, 4, 2, 1},  // 10×9
	{5, 2, 2, 24, 24, 3, 1, 0},  // 22×22: chunks of one
	{9, 1, 5, 7, 7, 4, 2, 1},    // 3×3: one chunk per worker
	{4, 2, 3, 3, 4, 5, 1, 2},    // kernel wider than the image
}

// TestConvOpsMatchNaive runs the three conv ops on the kernels alone with 1,
// 2 and 3 workers, in float64: conv against a direct convolution, then
// ⟨conv(x, W), y⟩ = ⟨x, convData(y, W)⟩ = ⟨W, convFilter(x, y)⟩ for both
// weight layouts, and the biases.
func TestConvOpsMatchNaive(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := rand.New(rand.NewPCG(31, 32))
	for _, c := range convOpCases {
		gm, err := newGeom(c.n, c.c, c.h, c.w, c.k, c.s, c.p)
		if err != nil {
			t.Fatal(err)
		}
		ckk := c.c * c.k * c.k
		x := randVec(rng, c.n*c.c*c.h*c.w)
		y := randVec(rng, c.n*c.o*gm.oh*gm.ow)
		w := randVec(rng, ckk*c.o) // (C·K·K)×O
		wt := make([]float64, len(w))
		torch := make([]float64, len(w))
		for r := 0; r < ckk; r++ {
			for o := 0; o < c.o; o++ {
				wt[o*ckk+r] = w[r*c.o+o]
				torch[o*ckk+r] = w[r*c.o+o]
			}
		}
		bo, bc := randVec(rng, c.o), randVec(rng, c.c)
		want, _, _ := naiveConv(x, c.n, c.c, c.h, c.w, torch, c.o, c.k, bo, c.s, c.p)
		for _, procs := range []int{1, 2, 3} {
			runtime.GOMAXPROCS(procs)
			for _, layout := range []bool{false, true} {
				wl := w
				if layout {
					wl = wt
				}
				run := func(kind convKind, bias bool, in ...[]float64) []float64 {
					op := &convOp{kind: kind, g: gm, o: c.o, wt: layout, bias: bias}
					dst := make([]float64, op.resShape().TotalSize())
					for i := range dst {
						dst[i] = math.NaN() // every element must be written
					}
					runConv(op, dst, in)
					// A second run into the same buffers must give the same.
					again := append([]float64(nil), dst...)
					runConv(op, again, in)
					for i := range dst {
						if again[i] != dst[i] {
							t.Fatalf("%+v: %s differs between runs", c, convNames[kind])
						}
					}
					return dst
				}
				got := run(cvFwd, true, x, wl, bo)
				for i := range want {
					if math.Abs(got[i]-want[i]) > 1e-10*(1+math.Abs(want[i])) {
						t.Fatalf("%+v procs %d wt %v: conv[%d] = %g, want %g", c, procs, layout, i, got[i], want[i])
					}
				}
				fy := dot(run(cvFwd, false, x, wl), y)
				dx := run(cvData, false, y, wl)
				dw := run(cvFilter, false, x, y)
				fx := dot(x, dx)
				var fw float64
				if layout {
					fw = dot(wt, dw)
				} else {
					fw = dot(w, dw)
				}
				tol := 1e-10 * (1 + math.Abs(fy))
				if math.Abs(fy-fx) > tol || math.Abs(fy-fw) > tol {
					t.Fatalf("%+v procs %d wt %v: <conv x, y> = %.12g, <x, convData y> = %.12g, <W, convFilter> = %.12g", c, procs, layout, fy, fx, fw)
				}
				dxb := run(cvData, true, y, wl, bc)
				hw := c.h * c.w
				for i := range dxb {
					if d := dxb[i] - dx[i] - bc[(i/hw)%c.c]; math.Abs(d) > 1e-12*(1+math.Abs(dx[i])) {
						t.Fatalf("%+v: convData bias at %d off by %g", c, i, d)
					}
				}
			}
		}
	}
}

// TestConvOpsFloat32 compares the float32 ops with the float64 ones.
func TestConvOpsFloat32(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, c := range convOpCases {
		gm, err := newGeom(c.n, c.c, c.h, c.w, c.k, c.s, c.p)
		if err != nil {
			t.Fatal(err)
		}
		ins := map[convKind][][]float64{
			cvFwd:    {randVec(rng, c.n*c.c*c.h*c.w), randVec(rng, c.c*c.k*c.k*c.o)},
			cvData:   {randVec(rng, c.n*c.o*gm.oh*gm.ow), randVec(rng, c.c*c.k*c.k*c.o)},
			cvFilter: {randVec(rng, c.n*c.c*c.h*c.w), randVec(rng, c.n*c.o*gm.oh*gm.ow)},
		}
		for kind, in := range ins {
			op := &convOp{kind: kind, g: gm, o: c.o}
			d64 := make([]float64, op.resShape().TotalSize())
			runConv(op, d64, in)
			in32 := make([][]float32, len(in))
			for i, v := range in {
				in32[i] = make([]float32, len(v))
				for j, e := range v {
					in32[i][j] = float32(e)
				}
			}
			op32 := &convOp{kind: kind, g: gm, o: c.o}
			d32 := make([]float32, len(d64))
			runConv(op32, d32, in32)
			for i := range d64 {
				if math.Abs(float64(d32[i])-d64[i]) > 1e-4*(1+math.Abs(d64[i])) {
					t.Fatalf("%+v %s: float32 %g, float64 %g", c, convNames[kind], d32[i], d64[i])
				}
			}
		}
	}
}
