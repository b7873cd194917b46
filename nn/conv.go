package nn

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv2d is a 2-D convolution (cross-correlation, as in PyTorch) of an
// N×In×H×W input with Out filters of size K×K, moved by Stride, with Pad
// zeros on every side; the output is N×Out×OH×OW with
// OH = (H + 2·Pad − K)/Stride + 1. The weights are stored as Name+".w" of
// shape (In·K·K)×Out, row (c, ky, kx) holding filter tap [out, c, ky, kx] of
// PyTorch's layout, and the biases as Name+".b" of shape Out.
//
// The forward pass is im2col(x) · W + b, one matrix product per chunk of
// examples straight into NCHW (see convOp).
type Conv2d struct {
	Name                    string
	In, Out, K, Stride, Pad int
}

// NewConv2d creates the parameters of a Conv2d layer in s: weights from init
// with fan-in In·K·K and fan-out Out·K·K, biases zero.
func NewConv2d(s *Store, name string, in, out, k, stride, pad int, init Initializer, rng *rand.Rand) (*Conv2d, error) {
	if in <= 0 || out <= 0 || k <= 0 || stride <= 0 || pad < 0 {
		return nil, fmt.Errorf("nn: conv2d %q with %d→%d channels, kernel %d, stride %d, padding %d", name, in, out, k, stride, pad)
	}
	if _, err := s.New(name+".w", []int{in * k * k, out}, init, in*k*k, out*k*k, rng); err != nil {
		return nil, err
	}
	if _, err := s.New(name+".b", []int{out}, Zeros, in*k*k, out*k*k, rng); err != nil {
		return nil, err
	}
	return &Conv2d{Name: name, In: in, Out: out, K: k, Stride: stride, Pad: pad}, nil
}

// OutSize returns the output height and width for an h×w input.
func (c *Conv2d) OutSize(h, w int) (int, int) {
	return (h+2*c.Pad-c.K)/c.Stride + 1, (w+2*c.Pad-c.K)/c.Stride + 1
}

func (c *Conv2d) geom(x *G.Node) (geom, error) {
	if x.Dims() != 4 || x.Shape()[1] != c.In {
		return geom{}, fmt.Errorf("nn: conv2d %q expects N×%d×H×W input, got %v", c.Name, c.In, x.Shape())
	}
	s := x.Shape()
	gm, err := newGeom(s[0], s[1], s[2], s[3], c.K, c.Stride, c.Pad)
	if err != nil {
		return geom{}, fmt.Errorf("nn: conv2d %q: %w", c.Name, err)
	}
	return gm, nil
}

// Forward convolves the N×In×H×W input x.
func (c *Conv2d) Forward(g *Graph, x *G.Node) (*G.Node, error) {
	gm, err := c.geom(x)
	if err != nil {
		return nil, err
	}
	w, b, err := params2(g, c.Name)
	if err != nil {
		return nil, err
	}
	y, err := applyConv(&convOp{g: gm, o: c.Out, gr: g}, cvFwd, true, x, w, b)
	if err != nil {
		return nil, fmt.Errorf("nn: conv2d %q: %w", c.Name, err)
	}
	return y, nil
}

// InputGrad returns col2im(gy Wᵀ), the transposed convolution of gy, with gy
// in NCHW layout.
func (c *Conv2d) InputGrad(g *Graph, x, _, gy *G.Node) (*G.Node, error) {
	gm, err := c.geom(x)
	if err != nil {
		return nil, err
	}
	if !gy.Shape().Eq(tensor.Shape{gm.n, c.Out, gm.oh, gm.ow}) {
		return nil, fmt.Errorf("nn: conv2d %q: output gradient %v for input %v", c.Name, gy.Shape(), x.Shape())
	}
	w, _, err := params2(g, c.Name)
	if err != nil {
		return nil, err
	}
	gx, err := applyConv(&convOp{g: gm, o: c.Out, gr: g}, cvData, false, gy, w)
	if err != nil {
		return nil, fmt.Errorf("nn: conv2d %q: %w", c.Name, err)
	}
	return gx, nil
}

// ConvTranspose2d is the transposed convolution (PyTorch's ConvTranspose2d
// without output padding), the adjoint of a Conv2d with Out input and In
// output channels: an N×In×H×W input gives an N×Out×OH×OW output with
// OH = (H − 1)·Stride − 2·Pad + K. The weights are stored as Name+".w" of
// shape In×(Out·K·K), row c holding PyTorch's weight[c] flattened, and the
// biases as Name+".b" of shape Out.
//
// The forward pass is col2im(x_rows · W) + b: one matrix product gives, for
// every input pixel, the K×K×Out patch it paints, and col2im adds the patches
// into the output image.
type ConvTranspose2d struct {
	Name                    string
	In, Out, K, Stride, Pad int
}

// NewConvTranspose2d creates the parameters of a ConvTranspose2d layer in s:
// weights from init with fan-in In·K·K/Stride² (the number of inputs that
// reach an output pixel) and fan-out Out·K·K, biases zero.
func NewConvTranspose2d(s *Store, name string, in, out, k, stride, pad int, init Initializer, rng *rand.Rand) (*ConvTranspose2d, error) {
	if in <= 0 || out <= 0 || k <= 0 || stride <= 0 || pad < 0 {
		return nil, fmt.Errorf("nn: conv-transpose2d %q with %d→%d channels, kernel %d, stride %d, padding %d", name, in, out, k, stride, pad)
	}
	fanIn := max(in*k*k/(stride*stride), 1)
	if _, err := s.New(name+".w", []int{in, out * k * k}, init, fanIn, out*k*k, rng); err != nil {
		return nil, err
	}
	if _, err := s.New(name+".b", []int{out}, Zeros, fanIn, out*k*k, rng); err != nil {
		return nil, err
	}
	return &ConvTranspose2d{Name: name, In: in, Out: out, K: k, Stride: stride, Pad: pad}, nil
}

// OutSize returns the output height and width for an h×w input.
func (c *ConvTranspose2d) OutSize(h, w int) (int, int) {
	return (h-1)*c.Stride - 2*c.Pad + c.K, (w-1)*c.Stride - 2*c.Pad + c.K
}

// geom returns the geometry of the adjoint convolution, whose image is this
// layer's output and whose output is this layer's input.
func (c *ConvTranspose2d) geom(x *G.Node) (geom, error) {
	if x.Dims() != 4 || x.Shape()[1] != c.In {
		return geom{}, fmt.Errorf("nn: conv-transpose2d %q expects N×%d×H×W input, got %v", c.Name, c.In, x.Shape())
	}
	s := x.Shape()
	oh, ow := c.OutSize(s[2], s[3])
	if oh <= 0 || ow <= 0 {
		return geom{}, fmt.Errorf("nn: conv-transpose2d %q: %v input gives a %d×%d output", c.Name, x.Shape(), oh, ow)
	}
	gm, err := newGeom(s[0], c.Out, oh, ow, c.K, c.Stride, c.Pad)
	if err != nil {
		return geom{}, fmt.Errorf("nn: conv-transpose2d %q: %w", c.Name, err)
	}
	if gm.oh != s[2] || gm.ow != s[3] {
		return geom{}, fmt.Errorf("nn: conv-transpose2d %q: inconsistent geometry for input %v", c.Name, x.Shape())
	}
	return gm, nil
}

// Forward applies the transposed convolution to the N×In×H×W input x.
func (c *ConvTranspose2d) Forward(g *Graph, x *G.Node) (*G.Node, error) {
	gm, err := c.geom(x)
	if err != nil {
		return nil, err
	}
	w, b, err := params2(g, c.Name)
	if err != nil {
		return nil, err
	}
	y, err := applyConv(&convOp{g: gm, o: c.In, wt: true, gr: g}, cvData, true, x, w, b)
	if err != nil {
		return nil, fmt.Errorf("nn: conv-transpose2d %q: %w", c.Name, err)
	}
	return y, nil
}

// InputGrad returns the convolution of gy by the same weights (without
// bias).
func (c *ConvTranspose2d) InputGrad(g *Graph, x, _, gy *G.Node) (*G.Node, error) {
	gm, err := c.geom(x)
	if err != nil {
		return nil, err
	}
	if !gy.Shape().Eq(gm.image()) {
		return nil, fmt.Errorf("nn: conv-transpose2d %q: output gradient %v for input %v", c.Name, gy.Shape(), x.Shape())
	}
	w, _, err := params2(g, c.Name)
	if err != nil {
		return nil, err
	}
	gx, err := applyConv(&convOp{g: gm, o: c.In, wt: true, gr: g}, cvFwd, false, gy, w)
	if err != nil {
		return nil, fmt.Errorf("nn: conv-transpose2d %q: %w", c.Name, err)
	}
	return gx, nil
}

// params2 returns the nodes of parameters name.w and name.b.
func params2(g *Graph, name string) (w, b *G.Node, err error) {
	if w, err = g.Param(name + ".w"); err != nil {
		return nil, nil, err
	}
	if b, err = g.Param(name + ".b"); err != nil {
		return nil, nil, err
	}
	return w, b, nil
}

// addChanBias returns y + b broadcast along axis 1 (channels).
func addChanBias(g *Graph, y, b *G.Node) (*G.Node, error) {
	bb, err := chanBcast(g.G, b, y.Shape())
	if err != nil {
		return nil, err
	}
	out, err := G.Add(y, bb)
	if err != nil {
		return nil, fmt.Errorf("nn: bias: %w", err)
	}
	return out, nil
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
