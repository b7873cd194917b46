package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The convolution layers are built from a few linear custom ops, each of
// which moves or sums elements without arithmetic on their values:
//
//	im2col      NCHW image → (N·OH·OW)×(C·KH·KW) patch matrix
//	col2im      its adjoint: patches summed back into the image
//	rows2nchw   (N·H·W)×C "pixel rows" (what a matrix product gives) → NCHW
//	nchw2rows   its adjoint (and inverse)
//	chanBcast   per-channel vector [C] → a full tensor (bias, gain)
//	chanSum     its adjoint: sum over everything but the channel axis
//	reshape     a copy with another shape (Gorgonia's Reshape aliases its
//	            input, and a later in-place op can then overwrite a bound
//	            input tensor; a copy is cheap and safe)
//
// A linear op's derivative is its adjoint applied to the incoming gradient,
// and the adjoint of the adjoint is the op itself, so SymDiff always returns
// another op of this family: gradients of every order exist, which is what a
// gradient penalty through a convolution needs.

type linKind int

const (
	kIm2col linKind = iota
	kCol2im
	kRows2NCHW
	kNCHW2Rows
	kChanBcast
	kChanSum
	kReshape
	kRowBcast
	kRowSum
)

var linNames = [...]string{"im2col", "col2im", "rows2nchw", "nchw2rows", "chanBcast", "chanSum", "reshape", "rowBcast", "rowSum"}

func (k linKind) adjoint() linKind {
	switch k {
	case kIm2col:
		return kCol2im
	case kCol2im:
		return kIm2col
	case kRows2NCHW:
		return kNCHW2Rows
	case kNCHW2Rows:
		return kRows2NCHW
	case kChanBcast:
		return kChanSum
	case kChanSum:
		return kChanBcast
	case kRowBcast:
		return kRowSum
	case kRowSum:
		return kRowBcast
	default:
		return kReshape
	}
}

// geom is the geometry of a convolution: an N×C×H×W image, a KH×KW kernel
// moved by SH, SW with PH, PW zeros of padding on each side, giving an
// OH×OW output.
type geom struct {
	n, c, h, w     int
	kh, kw, sh, sw int
	ph, pw, oh, ow int
}

func newGeom(n, c, h, w, k, stride, pad int) (geom, error) {
	if n <= 0 || c <= 0 || h <= 0 || w <= 0 {
		return geom{}, fmt.Errorf("image shape %v", []int{n, c, h, w})
	}
	if k <= 0 || stride <= 0 || pad < 0 {
		return geom{}, fmt.Errorf("kernel %d, stride %d, padding %d", k, stride, pad)
	}
	g := geom{n: n, c: c, h: h, w: w, kh: k, kw: k, sh: stride, sw: stride, ph: pad, pw: pad}
	if h+2*pad < k || w+2*pad < k {
		return geom{}, fmt.Errorf("kernel %d larger than the padded %d×%d image", k, h+2*pad, w+2*pad)
	}
	g.oh = (h+2*pad-k)/stride + 1
	g.ow = (w+2*pad-k)/stride + 1
	return g, nil
}

func (g geom) image() tensor.Shape { return tensor.Shape{g.n, g.c, g.h, g.w} }
func (g geom) cols() tensor.Shape  { return tensor.Shape{g.n * g.oh * g.ow, g.c * g.kh * g.kw} }

// linOp is one of the linear ops above with static input and output shapes.
// Each node gets its own op (its address is in the hash), which owns the
// output buffer reused from one run of the graph to the next.
type linOp struct {
	kind    linKind
	g       geom         // im2col, col2im
	in, out tensor.Shape // rows2nchw etc.: out or in is [N, C, H, W]
	dt      tensor.Dtype
	buf     *tensor.Dense
}

// applyLin applies a new linOp to x. A constant x that belongs to no graph
// (G.NewConstant) is added to gg first.
func applyLin(gg *G.ExprGraph, kind linKind, x *G.Node, g geom, in, out tensor.Shape) (*G.Node, error) {
	if x.Graph() == nil {
		if gg == nil {
			return nil, fmt.Errorf("nn: %s of a node that belongs to no graph", linNames[kind])
		}
		x = gg.AddNode(x)
	}
	if !x.Shape().Eq(in) {
		return nil, fmt.Errorf("nn: %s expects shape %v, got %v", linNames[kind], in, x.Shape())
	}
	if dt := x.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("nn: %s of %v", linNames[kind], dt)
	}
	op := &linOp{kind: kind, g: g, in: in.Clone(), out: out.Clone(), dt: x.Dtype()}
	n, err := G.ApplyOp(op, x)
	if err != nil {
		return nil, fmt.Errorf("nn: %s: %w", linNames[kind], err)
	}
	return n, nil
}

// Im2Col returns the (N·OH·OW)×(C·K·K) matrix of the K×K patches of the
// N×C×H×W image x taken with the given stride and zero padding: row
// (n, oy, ox) holds, at column (c, ky, kx), x[n, c, oy·stride−pad+ky,
// ox·stride−pad+kx] (zero outside the image). Its derivative is Col2Im.
func Im2Col(x *G.Node, k, stride, pad int) (*G.Node, error) {
	if x.Dims() != 4 {
		return nil, fmt.Errorf("nn: im2col expects an N×C×H×W input, got %v", x.Shape())
	}
	s := x.Shape()
	g, err := newGeom(s[0], s[1], s[2], s[3], k, stride, pad)
	if err != nil {
		return nil, fmt.Errorf("nn: im2col: %w", err)
	}
	return applyLin(nil, kIm2col, x, g, g.image(), g.cols())
}

// Col2Im is the adjoint of Im2Col for an n×c×h×w image: it adds every entry
// of the patch matrix cols back at the image position it was taken from, so
// that <Im2Col(x), y> = <x, Col2Im(y)>. Its derivative is Im2Col.
func Col2Im(cols *G.Node, n, c, h, w, k, stride, pad int) (*G.Node, error) {
	g, err := newGeom(n, c, h, w, k, stride, pad)
	if err != nil {
		return nil, fmt.Errorf("nn: col2im: %w", err)
	}
	return applyLin(nil, kCol2im, cols, g, g.cols(), g.image())
}

// chanBcast returns a tensor of the given shape (at least 2-D, channels on
// axis 1) whose element [n, c, ...] is v[c].
func chanBcast(gg *G.ExprGraph, v *G.Node, shape tensor.Shape) (*G.Node, error) {
	if len(shape) < 2 {
		return nil, fmt.Errorf("nn: channel broadcast to shape %v", shape)
	}
	return applyLin(gg, kChanBcast, v, geom{}, tensor.Shape{shape[1]}, shape)
}

// reshapeCopy returns a copy of x with the given shape (same total size).
func reshapeCopy(gg *G.ExprGraph, x *G.Node, shape tensor.Shape) (*G.Node, error) {
	if x.Shape().TotalSize() != shape.TotalSize() {
		return nil, fmt.Errorf("nn: cannot reshape %v to %v", x.Shape(), shape)
	}
	if x.Shape().Eq(shape) {
		return x, nil
	}
	return applyLin(gg, kReshape, x, geom{}, x.Shape().Clone(), shape)
}

func (op *linOp) Arity() int { return 1 }

func (op *linOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: len(op.in), Of: a}, G.TensorType{Dims: len(op.out), Of: a})
}

func (op *linOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.out.Clone(), nil }

func (op *linOp) ReturnsPtr() bool     { return false }
func (op *linOp) CallsExtern() bool    { return false }
func (op *linOp) OverwritesInput() int { return -1 }
func (op *linOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "%s%v→%v@%p", linNames[op.kind], op.in, op.out, op)
}
func (op *linOp) Hashcode() uint32 { return OpHash(op) }
func (op *linOp) String() string   { return fmt.Sprintf("%s%v→%v", linNames[op.kind], op.in, op.out) }

func (op *linOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff applies the adjoint op to the incoming gradient.
func (op *linOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := applyLin(grad.Graph(), op.kind.adjoint(), grad, op.g, op.out, op.in)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d}, nil
}

func (op *linOp) Do(vals ...G.Value) (G.Value, error) {
	return keptDo(op, &op.buf, op.dt, op.out, vals, 1, sameShape(op.in),
		func(d []float32, in [][]float32) { runLin(op, d, in[0]) },
		func(d []float64, in [][]float64) { runLin(op, d, in[0]) })
}

func runLin[T float32 | float64](op *linOp, dst, src []T) {
	switch op.kind {
	case kIm2col:
		im2col(dst, src, op.g)
	case kCol2im:
		col2im(dst, src, op.g)
	case kRows2NCHW:
		s := op.out
		rows2nchwK(dst, src, s[0], s[1], s[2]*s[3])
	case kNCHW2Rows:
		s := op.in
		nchw2rowsK(dst, src, s[0], s[1], s[2]*s[3])
	case kChanBcast:
		c := op.out[1]
		inner := op.out.TotalSize() / (op.out[0] * c)
		for i := 0; i < len(dst); i += c * inner {
			for ch, v := range src {
				blk := dst[i+ch*inner : i+(ch+1)*inner]
				for j := range blk {
					blk[j] = v
				}
			}
		}
	case kReshape:
		copy(dst, src)
	case kRowBcast:
		d := len(dst) / len(src)
		for i, v := range src {
			row := dst[i*d : (i+1)*d]
			for j := range row {
				row[j] = v
			}
		}
	case kRowSum:
		d := len(src) / len(dst)
		for i := range dst {
			var s T
			for _, v := range src[i*d : (i+1)*d] {
				s += v
			}
			dst[i] = s
		}
	case kChanSum:
		c := op.in[1]
		inner := op.in.TotalSize() / (op.in[0] * c)
		clear(dst)
		for i := 0; i < len(src); i += c * inner {
			for ch := range dst {
				var s T
				for _, v := range src[i+ch*inner : i+(ch+1)*inner] {
					s += v
				}
				dst[ch] += s
			}
		}
	}
}

// im2col writes the patch matrix of image src into dst.
func im2col[T float32 | float64](dst, src []T, g geom) {
	hw := g.h * g.w
	ckk := g.c * g.kh * g.kw
	r := 0
	for b := 0; b < g.n; b++ {
		img := src[b*g.c*hw : (b+1)*g.c*hw]
		for oy := 0; oy < g.oh; oy++ {
			for ox := 0; ox < g.ow; ox++ {
				row := dst[r : r+ckk]
				r += ckk
				x0 := ox*g.sw - g.pw
				inside := x0 >= 0 && x0+g.kw <= g.w
				j := 0
				for c := 0; c < g.c; c++ {
					plane := img[c*hw : (c+1)*hw]
					for ky := 0; ky < g.kh; ky++ {
						seg := row[j : j+g.kw]
						j += g.kw
						iy := oy*g.sh - g.ph + ky
						if iy < 0 || iy >= g.h {
							clear(seg)
							continue
						}
						line := plane[iy*g.w : (iy+1)*g.w]
						if inside {
							copy(seg, line[x0:x0+g.kw])
							continue
						}
						for kx := range seg {
							if ix := x0 + kx; ix >= 0 && ix < g.w {
								seg[kx] = line[ix]
							} else {
								seg[kx] = 0
							}
						}
					}
				}
			}
		}
	}
}

// col2im sums the patch matrix src back into image dst (the adjoint of im2col).
func col2im[T float32 | float64](dst, src []T, g geom) {
	clear(dst)
	hw := g.h * g.w
	ckk := g.c * g.kh * g.kw
	r := 0
	for b := 0; b < g.n; b++ {
		img := dst[b*g.c*hw : (b+1)*g.c*hw]
		for oy := 0; oy < g.oh; oy++ {
			for ox := 0; ox < g.ow; ox++ {
				row := src[r : r+ckk]
				r += ckk
				x0 := ox*g.sw - g.pw
				inside := x0 >= 0 && x0+g.kw <= g.w
				j := 0
				for c := 0; c < g.c; c++ {
					plane := img[c*hw : (c+1)*hw]
					for ky := 0; ky < g.kh; ky++ {
						seg := row[j : j+g.kw]
						j += g.kw
						iy := oy*g.sh - g.ph + ky
						if iy < 0 || iy >= g.h {
							continue
						}
						line := plane[iy*g.w : (iy+1)*g.w]
						if inside {
							line = line[x0 : x0+g.kw]
							for kx, v := range seg {
								line[kx] += v
							}
							continue
						}
						for kx, v := range seg {
							if ix := x0 + kx; ix >= 0 && ix < g.w {
								line[ix] += v
							}
						}
					}
				}
			}
		}
	}
}

// rows2nchwK transposes each image's hw×c block of src into c×hw in dst.
func rows2nchwK[T float32 | float64](dst, src []T, n, c, hw int) {
	const blk = 32
	for b := 0; b < n; b++ {
		s := src[b*hw*c : (b+1)*hw*c]
		d := dst[b*hw*c : (b+1)*hw*c]
		for p0 := 0; p0 < hw; p0 += blk {
			p1 := min(p0+blk, hw)
			for c0 := 0; c0 < c; c0 += blk {
				c1 := min(c0+blk, c)
				for p := p0; p < p1; p++ {
					for ch := c0; ch < c1; ch++ {
						d[ch*hw+p] = s[p*c+ch]
					}
				}
			}
		}
	}
}

// nchw2rowsK transposes each image's c×hw block of src into hw×c in dst.
func nchw2rowsK[T float32 | float64](dst, src []T, n, c, hw int) {
	const blk = 32
	for b := 0; b < n; b++ {
		s := src[b*hw*c : (b+1)*hw*c]
		d := dst[b*hw*c : (b+1)*hw*c]
		for c0 := 0; c0 < c; c0 += blk {
			c1 := min(c0+blk, c)
			for p0 := 0; p0 < hw; p0 += blk {
				p1 := min(p0+blk, hw)
				for ch := c0; ch < c1; ch++ {
					for p := p0; p < p1; p++ {
						d[p*c+ch] = s[ch*hw+p]
					}
				}
			}
		}
	}
}
