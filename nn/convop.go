package nn

import (
	"fmt"
	"hash"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/runs"
)

// A convolution and its two derivatives as three bilinear custom ops, each
// of which reads and writes NCHW tensors directly. For a geometry with an
// N×C×H×W image, an N×O×OH×OW output and weights W of shape (C·K·K)×O (or
// O×(C·K·K), the layout of ConvTranspose2d's parameter):
//
//	conv(x, W) [+ b]       image → output      (Conv2d forward)
//	convData(y, W) [+ b]   output → image      (its input gradient, and
//	                                            ConvTranspose2d forward)
//	convFilter(x, y)       image, output → W   (the weight gradient)
//
// Each is linear in each argument, and ⟨conv(x, W), y⟩ = ⟨x, convData(y, W)⟩
// = ⟨W, convFilter(x, y)⟩, so the derivatives of each op are the other two
// (plus chanSum for a bias): gradients of every order stay in the family,
// which is what a gradient penalty through a convolution needs.
//
// Each op works through the batch in chunks of a few examples: im2col of the
// chunk into a (C·K·K)×(chunk·OH·OW) matrix (rows over the kernel taps,
// columns over the output pixels, so that each row is filled by runs along
// the image rows), one matrix product, and a scatter of the O×(chunk·OH·OW)
// result into the NCHW output (runs of OH·OW values; none for a chunk of
// one). The chunks are split between GOMAXPROCS goroutines, in a fixed
// partition so that results do not depend on scheduling (bit-exact resume).
// This replaced im2col into (N·OH·OW)×(C·K·K) rows, a product, a transpose
// of the result to NCHW and a separate bias addition (a third of a DCGAN
// critic step besides the products, all on one core).
type convKind int

const (
	cvFwd convKind = iota
	cvData
	cvFilter
)

var convNames = [...]string{"conv", "convData", "convFilter"}

// convOp is one node's op: it owns the node's output buffer and its scratch
// space, kept from run to run.
type convOp struct {
	kind convKind
	g    geom // image N×C×H×W, kernel, output OH×OW
	o    int  // output channels
	wt   bool // weights stored O×(C·K·K) rather than (C·K·K)×O
	bias bool // a third input: a bias over the channels of the result
	dt   tensor.Dtype
	gr   *Graph    // for DiffWRT (which inputs need a gradient); may be nil
	ins  []*G.Node // the op's inputs, for DiffWRT
	buf  *tensor.Dense
	ws   []convScratch
	lay  *phaseLayout
}

type convScratch struct {
	cols, mat, part, phases any // []float32 or []float64
}

func (op *convOp) imageShape() tensor.Shape { return tensor.Shape{op.g.n, op.g.c, op.g.h, op.g.w} }
func (op *convOp) outShape() tensor.Shape   { return tensor.Shape{op.g.n, op.o, op.g.oh, op.g.ow} }
func (op *convOp) ckk() int                 { return op.g.c * op.g.kh * op.g.kw }
func (op *convOp) wShape() tensor.Shape {
	if op.wt {
		return tensor.Shape{op.o, op.ckk()}
	}
	return tensor.Shape{op.ckk(), op.o}
}

// inShapes returns the shapes of the op's inputs.
func (op *convOp) inShapes() []tensor.Shape {
	switch op.kind {
	case cvFwd:
		s := []tensor.Shape{op.imageShape(), op.wShape()}
		if op.bias {
			s = append(s, tensor.Shape{op.o})
		}
		return s
	case cvData:
		s := []tensor.Shape{op.outShape(), op.wShape()}
		if op.bias {
			s = append(s, tensor.Shape{op.g.c})
		}
		return s
	default:
		return []tensor.Shape{op.imageShape(), op.outShape()}
	}
}

func (op *convOp) resShape() tensor.Shape {
	switch op.kind {
	case cvFwd:
		return op.outShape()
	case cvData:
		return op.imageShape()
	default:
		return op.wShape()
	}
}

// applyConv applies a new convOp of the given kind (the geometry and flags
// of proto) to the inputs.
func applyConv(proto *convOp, kind convKind, bias bool, in ...*G.Node) (*G.Node, error) {
	op := &convOp{kind: kind, g: proto.g, o: proto.o, wt: proto.wt, bias: bias, gr: proto.gr}
	want := op.inShapes()
	if len(in) != len(want) {
		return nil, fmt.Errorf("nn: %s: %d inputs, want %d", op, len(in), len(want))
	}
	for i, x := range in {
		if !x.Shape().Eq(want[i]) {
			return nil, fmt.Errorf("nn: %s: input %d has shape %v, want %v", op, i, x.Shape(), want[i])
		}
		if x.Dtype() != in[0].Dtype() {
			return nil, fmt.Errorf("nn: %s: inputs of %v and %v", op, in[0].Dtype(), x.Dtype())
		}
	}
	op.dt = in[0].Dtype()
	if op.dt != tensor.Float32 && op.dt != tensor.Float64 {
		return nil, fmt.Errorf("nn: %s of %v", op, op.dt)
	}
	op.ins = append([]*G.Node(nil), in...)
	n, err := G.ApplyOp(op, in...)
	if err != nil {
		return nil, fmt.Errorf("nn: %s: %w", op, err)
	}
	return n, nil
}

func (op *convOp) Arity() int { return len(op.inShapes()) }

func (op *convOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	var ts []hm.Type
	for _, s := range op.inShapes() {
		ts = append(ts, G.TensorType{Dims: len(s), Of: a})
	}
	ts = append(ts, G.TensorType{Dims: len(op.resShape()), Of: a})
	return hm.NewFnType(ts...)
}

func (op *convOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.resShape(), nil }
func (op *convOp) ReturnsPtr() bool                               { return false }
func (op *convOp) CallsExtern() bool                              { return false }
func (op *convOp) OverwritesInput() int                           { return -1 }
func (op *convOp) WriteHash(h hash.Hash)                          { fmt.Fprintf(h, "%s@%p", op, op) }
func (op *convOp) Hashcode() uint32                               { return OpHash(op) }
func (op *convOp) String() string {
	return fmt.Sprintf("%s(%v k%d s%d p%d → %d)", convNames[op.kind], op.imageShape(), op.g.kh, op.g.sh, op.g.ph, op.o)
}

// DiffWRT marks the inputs whose gradient can be non-zero for the graph's
// parameters (see Graph.RequireGrad): no gradient is built for a batch of
// data, which would cost a product and a col2im per convolution.
func (op *convOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = op.gr == nil || i >= len(op.ins) || op.gr.needsGrad(op.ins[i])
	}
	return d
}

func (op *convOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	out := make(G.Nodes, len(inputs))
	diff := op.DiffWRT(len(inputs))
	var err error
	a, b := inputs[0], inputs[1]
	// mk builds input i's gradient when DiffWRT says it is needed (Gorgonia
	// skips the nil ones).
	mk := func(i int, kind convKind, args ...*G.Node) {
		if err != nil {
			return
		}
		if !diff[i] {
			return
		}
		out[i], err = applyConv(op, kind, false, args...)
	}
	switch op.kind {
	case cvFwd: // y = conv(a, b)
		mk(0, cvData, grad, b)
		mk(1, cvFilter, a, grad)
	case cvData: // x = convData(a, b)
		mk(0, cvFwd, grad, b)
		mk(1, cvFilter, grad, a)
	default: // W = convFilter(a, b)
		mk(0, cvData, b, grad)
		mk(1, cvFwd, a, grad)
	}
	if err == nil && op.bias {
		if diff[2] {
			out[2], err = applyLin(grad.Graph(), kChanSum, grad, grad.Shape().Clone(), tensor.Shape{grad.Shape()[1]})
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (op *convOp) Do(vals ...G.Value) (G.Value, error) {
	want := op.inShapes()
	return keptDo(op, &op.buf, op.dt, op.resShape(), vals, len(want), func(i int, s tensor.Shape) bool { return s.TotalSize() == want[i].TotalSize() },
		func(d []float32, in [][]float32) { runConv(op, d, in) },
		func(d []float64, in [][]float64) { runConv(op, d, in) })
}

// convChunkCols is the number of output pixels (columns of the patch matrix)
// a chunk aims at: enough for an efficient product, few enough for the patch
// matrix to stay in cache.
const convChunkCols = 512

// plan splits the batch into per-worker ranges of examples and those into
// chunks of nb examples.
func (op *convOp) plan() (workers, nb int) {
	p := op.g.oh * op.g.ow
	nb = max(1, min(op.g.n, (convChunkCols+p-1)/p))
	workers = max(1, min(runtime.GOMAXPROCS(0), op.g.n))
	if per := (op.g.n + workers - 1) / workers; nb > per {
		nb = per
	}
	return workers, nb
}

func scratch[T float32 | float64](s *any, n int) []T {
	if v, ok := (*s).([]T); ok && len(v) >= n {
		return v[:n]
	}
	v := make([]T, n)
	*s = v
	return v
}

func runConv[T float32 | float64](op *convOp, dst []T, in [][]T) {
	g := op.g
	workers, nb := op.plan()
	if len(op.ws) < workers {
		op.ws = make([]convScratch, workers)
	}
	ckk, p := op.ckk(), g.oh*g.ow
	if op.lay == nil {
		op.lay = newPhaseLayout(g)
	}
	per := (g.n + workers - 1) / workers
	// conv and convData write disjoint parts of dst chunk by chunk: the
	// workers take the next chunk as they go (a descheduled thread holds
	// nobody up). convFilter sums over the batch: each worker keeps a
	// fixed range of examples and its own partial sum, added in order, so
	// that the result does not depend on scheduling.
	var next atomic.Int64
	work := func(w int) {
		ws := &op.ws[w]
		cols := scratch[T](&ws.cols, ckk*nb*p)
		// Zero at the padding: im2colT writes only the interior, and an
		// op runs either im2colT or col2imT, never both.
		phases := scratch[T](&ws.phases, nb*op.lay.size)
		var mat []T
		if nb > 1 {
			mat = scratch[T](&ws.mat, op.o*nb*p)
		}
		if op.kind != cvFilter {
			for {
				c0 := int(next.Add(1)-1) * nb
				if c0 >= g.n {
					return
				}
				convChunk(op, dst, in, cols, mat, nil, phases, c0, min(g.n, c0+nb), false)
			}
		}
		part := dst
		if w > 0 {
			part = scratch[T](&ws.part, ckk*op.o)
		}
		n0, n1 := w*per, min(g.n, (w+1)*per)
		if n0 >= n1 {
			clear(part)
		}
		for c0 := n0; c0 < n1; c0 += nb {
			convChunk(op, dst, in, cols, mat, part, phases, c0, min(n1, c0+nb), c0 == n0)
		}
	}
	if workers == 1 {
		work(0)
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(w)
		}()
	}
	wg.Wait()
	if op.kind == cvFilter {
		for w := 1; w < workers; w++ {
			part := scratch[T](&op.ws[w].part, ckk*op.o)
			for i, v := range part {
				dst[i] += v
			}
		}
	}
}

// convChunk does examples c0..c1-1.
func convChunk[T float32 | float64](op *convOp, dst []T, in [][]T, cols, mat, part, phases []T, c0, c1 int, first bool) {
	g := op.g
	nb := c1 - c0
	ckk, p := op.ckk(), g.oh*g.ow
	l := nb * p
	cols = cols[:ckk*l]
	outPer := op.o * p // one example's output
	imgPer := g.c * g.h * g.w
	switch op.kind {
	case cvFwd:
		im2colT(cols, in[0][c0*imgPer:c1*imgPer], g, nb, op.lay, phases)
		res, ld := mat, l
		if nb == 1 {
			res = dst[c0*outPer : c1*outPer]
		}
		// res (O×l) = Wᵀ·cols
		if op.wt {
			convGemmT(false, false, op.o, l, ckk, in[1], ckk, cols, l, 0, res, ld)
		} else {
			convGemmT(true, false, op.o, l, ckk, in[1], op.o, cols, l, 0, res, ld)
		}
		if nb > 1 {
			scatterRows(dst[c0*outPer:c1*outPer], res, op.o, nb, p)
		}
		if op.bias {
			addChan(dst[c0*outPer:c1*outPer], in[2], nb, op.o, p)
		}
	case cvData:
		gy, ld := in[0][c0*outPer:c1*outPer], p
		if nb > 1 {
			gatherRows(mat, gy, op.o, nb, p)
			gy, ld = mat, l
		}
		// cols (CKK×l) = W·gy
		if op.wt {
			convGemmT(true, false, ckk, l, op.o, in[1], ckk, gy, ld, 0, cols, l)
		} else {
			convGemmT(false, false, ckk, l, op.o, in[1], op.o, gy, ld, 0, cols, l)
		}
		img := dst[c0*imgPer : c1*imgPer]
		col2imT(img, cols, g, nb, op.lay, phases)
		if op.bias {
			addChan(img, in[2], nb, g.c, g.h*g.w)
		}
	default:
		im2colT(cols, in[0][c0*imgPer:c1*imgPer], g, nb, op.lay, phases)
		gy, ld := in[1][c0*outPer:c1*outPer], p
		if nb > 1 {
			gatherRows(mat, gy, op.o, nb, p)
			gy, ld = mat, l
		}
		var beta T
		if !first {
			beta = 1
		}
		if op.wt { // part (O×CKK) += gy·colsᵀ
			convGemmT(false, true, op.o, ckk, l, gy, ld, cols, l, beta, part, ckk)
		} else { // part (CKK×O) += cols·gyᵀ
			convGemmT(false, true, ckk, op.o, l, cols, l, gy, ld, beta, part, op.o)
		}
	}
}

// gemmT is C = op(A)·op(B) + beta·C on the BLAS Gorgonia uses.
func gemmT[T float32 | float64](tA, tB bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	ta, tb := blasT(tA), blasT(tB)
	switch a := any(a).(type) {
	case []float32:
		G.WhichBLAS().Sgemm(ta, tb, m, n, k, 1, a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		G.WhichBLAS().Dgemm(ta, tb, m, n, k, 1, a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}

// convGemmT is gemmT for the convolution ops: float32 products run on
// convSgemm.
func convGemmT[T float32 | float64](tA, tB bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if a, ok := any(a).([]float32); ok {
		convSgemm(blasT(tA), blasT(tB), m, n, k, 1, a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
		return
	}
	gemmT(tA, tB, m, n, k, a, lda, b, ldb, beta, c, ldc)
}

func blasT(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// scatterRows copies the O×(nb·P) matrix src into nb examples of O×P each.
func scatterRows[T float32 | float64](dst, src []T, o, nb, p int) {
	l := nb * p
	for j := 0; j < nb; j++ {
		for c := 0; c < o; c++ {
			copy(dst[(j*o+c)*p:(j*o+c+1)*p], src[c*l+j*p:c*l+(j+1)*p])
		}
	}
}

// gatherRows is the inverse of scatterRows.
func gatherRows[T float32 | float64](dst, src []T, o, nb, p int) {
	l := nb * p
	for j := 0; j < nb; j++ {
		for c := 0; c < o; c++ {
			copy(dst[c*l+j*p:c*l+(j+1)*p], src[(j*o+c)*p:(j*o+c+1)*p])
		}
	}
}

// addChan adds b[c] to every element of channel c of nb examples.
func addChan[T float32 | float64](dst, b []T, nb, c, hw int) {
	for j := 0; j < nb; j++ {
		for ch, v := range b {
			blk := dst[(j*c+ch)*hw : (j*c+ch+1)*hw]
			for i := range blk {
				blk[i] += v
			}
		}
	}
}

// phaseLayout places a zero-padded image plane into Stride_y·Stride_x
// phase planes: padded pixel (Y, X) goes to phase (Y mod sh, X mod sw), row
// Y/sh, column X/sw. Kernel tap (ky, kx) at output pixel (oy, ox) reads
// padded pixel (oy·sh+ky, ox·sw+kx), which is row oy+ky/sh, column
// ox+kx/sw of phase (ky mod sh, kx mod sw): for every output row, the
// tap's OW values are one contiguous run of a phase plane. So im2col is
// runs of copies and col2im runs of additions, instead of a gather or
// scatter of single values through an index table; for a stride of one
// the one phase is the padded plane.
type phaseLayout struct {
	pr, pc int     // rows and columns of one phase plane
	size   int     // values of all phases of one image plane
	sw     int     // the column stride
	rowOff []int32 // image row y → offset of its phase row
	// cols lists, for each column phase, its first image column x0 and
	// that column's offset within the phase row: image columns x0, x0+sw,
	// ... go to consecutive values from there.
	cols []phaseCols
	// pairs, for a column stride of 2 and an even width, is the split in
	// the form runs.Split and runs.Merge take (vector code for float32).
	pairs *runs.Pairs
}

type phaseCols struct{ x0, off int }

func newPhaseLayout(g geom) *phaseLayout {
	pr := (g.h + 2*g.ph + g.sh - 1) / g.sh
	pc := (g.w + 2*g.pw + g.sw - 1) / g.sw
	l := &phaseLayout{pr: pr, pc: pc, size: g.sh * g.sw * pr * pc, sw: g.sw, rowOff: make([]int32, g.h)}
	for y := range l.rowOff {
		py := y + g.ph
		l.rowOff[y] = int32((py%g.sh)*g.sw*pr*pc + py/g.sh*pc)
	}
	for x0 := 0; x0 < min(g.sw, g.w); x0++ {
		px := x0 + g.pw
		l.cols = append(l.cols, phaseCols{x0, (px%g.sw)*pr*pc + px/g.sw})
	}
	if g.sw == 2 && g.w%2 == 0 {
		l.pairs = &runs.Pairs{RowOff: l.rowOff, W: g.w, Even: l.cols[0].off, Odd: l.cols[1].off}
	}
	return l
}

// tap returns the offset, in an image's phases, of tap (ky, kx)'s run for
// output row 0; output row oy starts oy·pc further.
func (l *phaseLayout) tap(g geom, ky, kx int) int {
	return ((ky%g.sh)*g.sw+kx%g.sw)*l.pr*l.pc + ky/g.sh*l.pc + kx/g.sw
}

// splitPlane writes the h×w image plane into phases ph, whose padding
// positions are zero and stay so.
func splitPlane[T float32 | float64](ph, plane []T, l *phaseLayout, w int) {
	if d, ok := any(ph).([]float32); ok && l.pairs != nil {
		runs.Split(d, any(plane).([]float32), *l.pairs)
		return
	}
	for y, ro := range l.rowOff {
		src := plane[y*w : (y+1)*w]
		for _, c := range l.cols {
			d := ph[int(ro)+c.off:]
			d = d[:(w-c.x0+l.sw-1)/l.sw]
			for k, x := 0, c.x0; k < len(d); k, x = k+1, x+l.sw {
				d[k] = src[x]
			}
		}
	}
}

// mergePlane writes the interior of phases ph back into the h×w plane.
func mergePlane[T float32 | float64](plane, ph []T, l *phaseLayout, w int) {
	if d, ok := any(plane).([]float32); ok && l.pairs != nil {
		runs.Merge(d, any(ph).([]float32), *l.pairs)
		return
	}
	for y, ro := range l.rowOff {
		dst := plane[y*w : (y+1)*w]
		for _, c := range l.cols {
			s := ph[int(ro)+c.off:]
			s = s[:(w-c.x0+l.sw-1)/l.sw]
			for k, x := 0, c.x0; k < len(s); k, x = k+1, x+l.sw {
				dst[x] = s[k]
			}
		}
	}
}

// im2colT writes the patch matrix of nb images src, (C·K·K)×(nb·OH·OW) with
// rows (c, ky, kx) and columns (example, oy, ox), into dst, row after row
// (sequential writes: a chunk's patch matrix is larger than the cache);
// ph holds the phases of nb planes (see phaseLayout), zero at the padding.
func im2colT[T float32 | float64](dst, src []T, g geom, nb int, l *phaseLayout, ph []T) {
	hw, p := g.h*g.w, g.oh*g.ow
	n := nb * p
	for c := 0; c < g.c; c++ {
		for j := 0; j < nb; j++ {
			splitPlane(ph[j*l.size:(j+1)*l.size], src[(j*g.c+c)*hw:(j*g.c+c+1)*hw], l, g.w)
		}
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				t := (c*g.kh+ky)*g.kw + kx
				row := dst[t*n : (t+1)*n]
				off := l.tap(g, ky, kx)
				copyRuns(row, ph[off:], runs.Layout{NB: nb, Stride: l.size, OH: g.oh, OW: g.ow, Pitch: l.pc})
			}
		}
	}
}

// copyRuns is runs.Copy (vector code for float32) for any float type.
func copyRuns[T float32 | float64](dst, src []T, r runs.Layout) {
	if d, ok := any(dst).([]float32); ok {
		runs.Copy(d, any(src).([]float32), r)
		return
	}
	runs.CopyGo(dst, src, r)
}

// addRuns is runs.Add for any float type.
func addRuns[T float32 | float64](dst, src []T, r runs.Layout) {
	if d, ok := any(dst).([]float32); ok {
		runs.Add(d, any(src).([]float32), r)
		return
	}
	runs.AddGo(dst, src, r)
}

// col2imT sums the patch matrix src (the layout of im2colT) back into the nb
// images dst: the adjoint of im2colT.
func col2imT[T float32 | float64](dst, src []T, g geom, nb int, l *phaseLayout, ph []T) {
	hw, p := g.h*g.w, g.oh*g.ow
	n := nb * p
	ph = ph[:nb*l.size]
	for c := 0; c < g.c; c++ {
		clear(ph)
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				t := (c*g.kh+ky)*g.kw + kx
				row := src[t*n : (t+1)*n]
				off := l.tap(g, ky, kx)
				addRuns(ph[off:], row, runs.Layout{NB: nb, Stride: l.size, OH: g.oh, OW: g.ow, Pitch: l.pc})
			}
		}
		for j := 0; j < nb; j++ {
			mergePlane(dst[(j*g.c+c)*hw:(j*g.c+c+1)*hw], ph[j*l.size:(j+1)*l.size], l, g.w)
		}
	}
}
