package nn

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/gradcheck"
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

// TestConvOpDerivatives checks, against central differences, the gradients
// w.r.t. every input of each conv op (with and without bias) and of the
// per-channel ops, at first order, and at second order: the loss also holds
// the squares of the op's own derivative nodes (SymDiff applied to a fixed
// vector, as a gradient penalty holds an input gradient), so the
// derivatives of the derivative ops are checked too.
func TestConvOpDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	const n, c, o, h, w, k, s, p = 3, 2, 3, 6, 5, 3, 2, 1
	gm, err := newGeom(n, c, h, w, k, s, p)
	if err != nil {
		t.Fatal(err)
	}
	img := []int{n, c, h, w}
	out := []int{n, o, gm.oh, gm.ow}
	wsh := []int{c * k * k, o}
	cases := []struct {
		name   string
		kind   convKind
		wt     bool
		shapes [][]int
	}{
		{"conv+b", cvFwd, false, [][]int{img, wsh, {o}}},
		{"conv wt", cvFwd, true, [][]int{img, {o, c * k * k}}},
		{"convData+b", cvData, false, [][]int{out, wsh, {c}}},
		{"convData wt+b", cvData, true, [][]int{out, {o, c * k * k}, {c}}},
		{"convFilter", cvFilter, false, [][]int{img, out}},
		{"convFilter wt", cvFilter, true, [][]int{img, out}},
		{"chanAffine", -1, false, [][]int{img, {c}, {c}}},
		{"chanAdd", -2, false, [][]int{out, {o}}},
		{"chanDot", -3, false, [][]int{img, img}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewGraph(NewStore(tensor.Float64))
			var in G.Nodes
			for i, sh := range tc.shapes {
				x, xt := g.Input(string(rune('a'+i)), sh...)
				fill(xt, rng, 1)
				in = append(in, x)
			}
			g.RequireGrad(in...)
			var y *G.Node
			var err error
			switch tc.kind {
			case -1:
				y, err = chanAffine(in[0], in[1], in[2])
			case -2:
				y, err = chanAdd(in[0], in[1])
			case -3:
				y, err = applyChan(&chanOp{dot: true}, in[0], in[1])
			default:
				y, err = applyConv(&convOp{g: gm, o: o, wt: tc.wt, gr: g}, tc.kind, len(in) == 3, in...)
			}
			if err != nil {
				t.Fatal(err)
			}
			ys := y.Shape()
			r := g.Constant("r", randVec(rng, ys.TotalSize()), ys...)
			loss := G.Must(G.Add(G.Must(G.Sum(G.Must(G.HadamardProd(y, r)))), G.Must(G.Mul(G.Must(G.Sum(G.Must(G.Square(y)))), g.Scalar(0.5)))))
			ds, err := y.Op().(G.SDOp).SymDiff(in, y, g.G.AddNode(r))
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				loss = G.Must(G.Add(loss, G.Must(G.Sum(G.Must(G.Square(d))))))
			}
			res, err := gradcheck.Check(g.G, loss, in, gradcheck.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.MaxErr > 1 {
				t.Fatalf("gradient mismatch %.3g at %s", res.MaxErr, res.Where)
			}
		})
	}
}

// TestConvSkipsDataGradient: no gradient is built for a conv input that
// depends on no parameter, and asking for one without RequireGrad is an
// error, not a silent zero.
func TestConvSkipsDataGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	s := NewStore(tensor.Float64)
	conv, err := NewConv2d(s, "c", 1, 2, 3, 1, 1, HeNormal, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, require := range []bool{false, true} {
		g := NewGraph(s)
		x, xt := g.Input("x", 2, 1, 4, 4)
		fill(xt, rng, 1)
		if require {
			g.RequireGrad(x)
		}
		y, err := conv.Forward(g, x)
		if err != nil {
			t.Fatal(err)
		}
		loss := G.Must(G.Sum(G.Must(G.Square(y))))
		if _, err := G.Grad(loss, g.Params()...); err != nil {
			t.Fatal(err)
		}
		datas := 0
		for _, nd := range g.G.AllNodes() {
			if op, ok := nd.Op().(*convOp); ok && op.kind == cvData {
				datas++
			}
		}
		if want := map[bool]int{false: 0, true: 1}[require]; datas != want {
			t.Errorf("RequireGrad %v: %d convData nodes, want %d", require, datas, want)
		}
		g2 := NewGraph(s)
		x2, _ := g2.Input("x", 2, 1, 4, 4)
		if require {
			g2.RequireGrad(x2)
		}
		y2, err := conv.Forward(g2, x2)
		if err != nil {
			t.Fatal(err)
		}
		_, err = G.Grad(G.Must(G.Sum(y2)), x2)
		if (err == nil) != require {
			t.Errorf("RequireGrad %v: Grad w.r.t. the input: error %v", require, err)
		}
	}
}
