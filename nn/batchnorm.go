package nn

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BatchNorm is batch normalisation (Ioffe and Szegedy 2015) with the
// semantics of PyTorch's BatchNorm1d and BatchNorm2d: every channel c (axis
// 1) of an N×C input, or of an N×C×H×W input over N, H and W, is normalised
// and then scaled and shifted,
//
//	y[n, c, ...] = γ[c]·(x[n, c, ...] − μ[c])/sqrt(σ²[c] + Eps) + β[c].
//
// In a graph in training mode (see Graph.SetTraining) μ and σ² are the mean
// and the biased variance of the batch, and every run of the graph updates
// the running statistics once:
//
//	running_mean ← (1 − Momentum)·running_mean + Momentum·μ
//	running_var  ← (1 − Momentum)·running_var  + Momentum·σ²·m/(m − 1)
//
// with m the number of values per channel (the unbiased variance). In
// evaluation mode μ and σ² are the running statistics, so every example is
// transformed independently of the others in its batch, and nothing is
// updated.
//
// The gain γ is the parameter Name+".g" (initially ones) and the shift β is
// Name+".b" (zeros); the running statistics are the buffers
// Name+".running_mean" (zeros) and Name+".running_var" (ones) of the store:
// saved and loaded with the parameters, never updated by an optimiser.
//
// The forward pass is two fused nodes, each one pass over the data in plain
// Go: the statistics (float64 sums), then the normalisation. The backward
// pass is two more passes: one sums the gradients w.r.t. γ and β per
// channel, one writes the gradient w.r.t. x. These nodes are not
// differentiable again: a BatchNorm cannot be inside a gradient penalty
// (WGAN-GP), which needs each example's gradient on its own; critics use
// LayerNorm.
type BatchNorm struct {
	Name     string
	Channels int
	// Eps is added to the variance (1e-5 from NewBatchNorm).
	Eps float64
	// Momentum is the weight of each batch in the running statistics (0.1
	// from NewBatchNorm).
	Momentum float64
}

// Suffixes of the names of a BatchNorm's buffers in the store.
const (
	RunningMeanSuffix = ".running_mean"
	RunningVarSuffix  = ".running_var"
)

// NewBatchNorm creates the gain, shift and running statistics of a
// BatchNorm over inputs with the given number of channels (or features),
// with Eps 1e-5 and Momentum 0.1.
func NewBatchNorm(s *Store, name string, channels int) (*BatchNorm, error) {
	if channels <= 0 {
		return nil, fmt.Errorf("nn: batch norm %q with %d channels", name, channels)
	}
	if _, err := s.New(name+".g", []int{channels}, ones, channels, channels, nil); err != nil {
		return nil, err
	}
	if _, err := s.New(name+".b", []int{channels}, Zeros, channels, channels, nil); err != nil {
		return nil, err
	}
	if _, err := s.NewBuffer(name+RunningMeanSuffix, []int{channels}, 0); err != nil {
		return nil, err
	}
	if _, err := s.NewBuffer(name+RunningVarSuffix, []int{channels}, 1); err != nil {
		return nil, err
	}
	return &BatchNorm{Name: name, Channels: channels, Eps: 1e-5, Momentum: 0.1}, nil
}

// Forward normalises x, an N×Channels or N×Channels×... batch.
func (l *BatchNorm) Forward(g *Graph, x *G.Node) (*G.Node, error) {
	st, err := l.newState(g, x)
	if err != nil {
		return nil, err
	}
	gain, err := g.Param(l.Name + ".g")
	if err != nil {
		return nil, err
	}
	bias, err := g.Param(l.Name + ".b")
	if err != nil {
		return nil, err
	}
	if x.Graph() == nil {
		x = g.G.AddNode(x)
	}
	stats, err := G.ApplyOp(&bnOp{kind: bnStats, st: st}, x)
	if err != nil {
		return nil, fmt.Errorf("nn: batch norm %q: %w", l.Name, err)
	}
	y, err := G.ApplyOp(&bnOp{kind: bnApply, st: st}, x, stats, gain, bias)
	if err != nil {
		return nil, fmt.Errorf("nn: batch norm %q: %w", l.Name, err)
	}
	return y, nil
}

// InputGrad always fails: the output of a batch-normalised example depends
// on the other examples of its batch, so there is no per-example input
// gradient for a penalty like WGAN-GP's to constrain. Use LayerNorm in such
// critics.
func (l *BatchNorm) InputGrad(*Graph, *G.Node, *G.Node, *G.Node) (*G.Node, error) {
	return nil, fmt.Errorf("nn: batch norm %q cannot be differentiated w.r.t. its input inside a gradient penalty (WGAN-GP): it mixes the examples of a batch; use LayerNorm in the critic", l.Name)
}

// bnState is what the nodes of one BatchNorm application share.
type bnState struct {
	name          string
	g             *Graph
	eps, momentum float64
	shape         tensor.Shape // of x
	n, c, inner   int          // x is n×c×inner
	dt            tensor.Dtype
	runMean       *tensor.Dense // store buffers
	runVar        *tensor.Dense
	// training is the mode of the current run, recorded by the statistics
	// node, which every other node depends on.
	training bool
	mean, vr []float64 // scratch: the batch's mean and biased variance
}

func (l *BatchNorm) newState(g *Graph, x *G.Node) (*bnState, error) {
	s := x.Shape()
	if x.Dims() < 2 || s[1] != l.Channels {
		return nil, fmt.Errorf("nn: batch norm %q expects N×%d or N×%d×... input, got %v", l.Name, l.Channels, l.Channels, s)
	}
	if dt := x.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("nn: batch norm %q of %v", l.Name, dt)
	}
	if !(l.Eps > 0) || !(l.Momentum >= 0 && l.Momentum <= 1) {
		return nil, fmt.Errorf("nn: batch norm %q with eps %g and momentum %g (want eps > 0, momentum in [0, 1])", l.Name, l.Eps, l.Momentum)
	}
	st := &bnState{name: l.Name, g: g, eps: l.Eps, momentum: l.Momentum, shape: s.Clone(), n: s[0], c: s[1],
		inner: s.TotalSize() / (s[0] * s[1]), dt: x.Dtype(), mean: make([]float64, s[1]), vr: make([]float64, s[1])}
	if g.Training() && st.n*st.inner < 2 {
		return nil, fmt.Errorf("nn: batch norm %q needs more than one value per channel in training mode, got input %v", l.Name, s)
	}
	var err error
	if st.runMean, err = g.buffer(l.Name + RunningMeanSuffix); err != nil {
		return nil, err
	}
	if st.runVar, err = g.buffer(l.Name + RunningVarSuffix); err != nil {
		return nil, err
	}
	for _, b := range []*tensor.Dense{st.runMean, st.runVar} {
		if !b.Shape().Eq(tensor.Shape{l.Channels}) || b.Dtype() != st.dt {
			return nil, fmt.Errorf("nn: batch norm %q: running statistics %v of %v for %d channels of %v", l.Name, b.Shape(), b.Dtype(), l.Channels, st.dt)
		}
	}
	return st, nil
}

type bnKind int

// The nodes of a BatchNorm: two forward, four backward.
const (
	bnStats     bnKind = iota // x → [2, C]: the mean and 1/sqrt(var + eps) that normalise
	bnApply                   // x, stats, γ, β → y
	bnGradSums                // x, stats, gy → [2, C]: ∂L/∂γ and ∂L/∂β
	bnGainGrad                // sums → ∂L/∂γ (row 0)
	bnBiasGrad                // sums → ∂L/∂β (row 1)
	bnInputGrad               // x, stats, γ, gy, sums → ∂L/∂x
	bnKindCount
)

var bnNames = [bnKindCount]string{"bnStats", "bnApply", "bnGradSums", "bnGainGrad", "bnBiasGrad", "bnInputGrad"}

// bnOp is one node of a BatchNorm. Each node has its own op, which owns the
// output buffer reused from one run of the graph to the next.
type bnOp struct {
	kind bnKind
	st   *bnState
	buf  *tensor.Dense
}

// inShapes returns the shape of each input.
func (op *bnOp) inShapes() []tensor.Shape {
	x, c, pair := op.st.shape, tensor.Shape{op.st.c}, tensor.Shape{2, op.st.c}
	switch op.kind {
	case bnStats:
		return []tensor.Shape{x}
	case bnApply:
		return []tensor.Shape{x, pair, c, c}
	case bnGradSums:
		return []tensor.Shape{x, pair, x}
	case bnGainGrad, bnBiasGrad:
		return []tensor.Shape{pair}
	default:
		return []tensor.Shape{x, pair, c, x, pair}
	}
}

func (op *bnOp) outShape() tensor.Shape {
	switch op.kind {
	case bnStats, bnGradSums:
		return tensor.Shape{2, op.st.c}
	case bnGainGrad, bnBiasGrad:
		return tensor.Shape{op.st.c}
	default:
		return op.st.shape.Clone()
	}
}

func (op *bnOp) Arity() int { return len(op.inShapes()) }

func (op *bnOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	var ts []hm.Type
	for _, s := range op.inShapes() {
		ts = append(ts, G.TensorType{Dims: len(s), Of: a})
	}
	return hm.NewFnType(append(ts, G.TensorType{Dims: len(op.outShape()), Of: a})...)
}

func (op *bnOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.outShape(), nil }
func (op *bnOp) ReturnsPtr() bool                               { return false }
func (op *bnOp) CallsExtern() bool                              { return false }
func (op *bnOp) OverwritesInput() int                           { return -1 }
func (op *bnOp) WriteHash(h hash.Hash)                          { fmt.Fprintf(h, "%s@%p", op, op) }
func (op *bnOp) Hashcode() uint32                               { return OpHash(op) }
func (op *bnOp) String() string {
	return fmt.Sprintf("%s(%s)%v", bnNames[op.kind], op.st.name, op.st.shape)
}

// DiffWRT: the statistics are not differentiated as a node of their own;
// the input gradient accounts for them. The gradient nodes are marked
// differentiable so that differentiating them fails with a clear error
// instead of silently giving zero.
func (op *bnOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = op.kind != bnStats
	}
	if op.kind == bnApply && n == 4 {
		d[1] = false
	}
	return d
}

// SymDiff of the normalisation returns the gradients w.r.t. x, γ and β
// (none for the statistics node); the other nodes have no derivative.
func (op *bnOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if op.kind != bnApply {
		return nil, fmt.Errorf("nn: batch norm %q: %s has no derivative (second-order gradients through batch norm are not supported; use LayerNorm inside gradient penalties)", op.st.name, bnNames[op.kind])
	}
	if len(inputs) != 4 {
		return nil, fmt.Errorf("nn: %s: %d inputs", op, len(inputs))
	}
	x, stats, gain := inputs[0], inputs[1], inputs[2]
	if grad.Graph() == nil {
		grad = x.Graph().AddNode(grad)
	}
	apply := func(kind bnKind, in ...*G.Node) (*G.Node, error) {
		n, err := G.ApplyOp(&bnOp{kind: kind, st: op.st}, in...)
		if err != nil {
			return nil, fmt.Errorf("nn: batch norm %q: %w", op.st.name, err)
		}
		return n, nil
	}
	sums, err := apply(bnGradSums, x, stats, grad)
	if err != nil {
		return nil, err
	}
	dGain, err := apply(bnGainGrad, sums)
	if err != nil {
		return nil, err
	}
	dBias, err := apply(bnBiasGrad, sums)
	if err != nil {
		return nil, err
	}
	dx, err := apply(bnInputGrad, x, stats, gain, grad, sums)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, nil, dGain, dBias}, nil
}

func (op *bnOp) Do(vals ...G.Value) (G.Value, error) {
	shapes := op.inShapes()
	if len(vals) != len(shapes) {
		return nil, fmt.Errorf("nn: %s: %d inputs", op, len(vals))
	}
	in, err := denseInputs(op, op.st.dt, vals, func(i int, s tensor.Shape) bool { return s.Eq(shapes[i]) })
	if err != nil {
		return nil, err
	}
	out, err := keptOutput(op, &op.buf, op.st.dt, op.outShape())
	if err != nil {
		return nil, err
	}
	switch op.st.dt {
	case tensor.Float32:
		err = runBN(op, out.Data().([]float32), in)
	default:
		err = runBN(op, out.Data().([]float64), in)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// runBN runs the kernel of op on inputs in (of checked shapes) into dst.
func runBN[T float32 | float64](op *bnOp, dst []T, in []*tensor.Dense) error {
	st := op.st
	data := make([][]T, len(in))
	for i, t := range in {
		data[i] = t.Data().([]T)
	}
	c := st.c
	switch op.kind {
	case bnStats:
		return bnStatistics(st, dst, data[0])
	case bnApply:
		bnApplyK(dst, data[0], data[1][:c], data[1][c:], data[2], data[3], st.n, st.inner)
	case bnGradSums:
		bnGradSumsK(dst, data[0], data[2], data[1][:c], data[1][c:], st.n, st.inner)
	case bnGainGrad:
		copy(dst, data[0][:c])
	case bnBiasGrad:
		copy(dst, data[0][c:])
	case bnInputGrad:
		s := data[4]
		bnInputGradK(dst, data[0], data[3], data[1][:c], data[1][c:], data[2], s[:c], s[c:], st.n, st.inner, st.training)
	}
	return nil
}

// bnStatistics writes the mean and 1/sqrt(var + eps) used to normalise
// into stats ([2, C]): in training mode the batch's, after updating the
// running statistics once; in evaluation mode the running statistics.
func bnStatistics[T float32 | float64](st *bnState, stats, x []T) error {
	st.training = st.g.Training()
	mean, inv := stats[:st.c], stats[st.c:]
	rm, rv := st.runMean.Data().([]T), st.runVar.Data().([]T)
	if !st.training {
		for c := range mean {
			mean[c] = rm[c]
			inv[c] = T(1 / math.Sqrt(float64(rv[c])+st.eps))
		}
		return nil
	}
	m := st.n * st.inner
	if m < 2 {
		return fmt.Errorf("nn: batch norm %q needs more than one value per channel in training mode, got input %v", st.name, st.shape)
	}
	bnMoments(x, st.n, st.c, st.inner, st.mean, st.vr)
	mo := st.momentum
	unbias := float64(m) / float64(m-1)
	for c := range mean {
		mean[c] = T(st.mean[c])
		inv[c] = T(1 / math.Sqrt(st.vr[c]+st.eps))
		rm[c] = T((1-mo)*float64(rm[c]) + mo*st.mean[c])
		rv[c] = T((1-mo)*float64(rv[c]) + mo*st.vr[c]*unbias)
	}
	return nil
}

// bnMoments writes the mean and the biased variance of every channel of the
// n×c×inner tensor x into mean and vr. It makes one pass, accumulating in
// float64 the sums of d and d² for d = x − K, K being the channel's first
// value: shifting by a value near the mean keeps Σd² − (Σd)²/m free of the
// cancellation that Σx² − (Σx)²/m suffers when the mean is large.
func bnMoments[T float32 | float64](x []T, n, c, inner int, mean, vr []float64) {
	clear(mean)
	clear(vr)
	shift := make([]float64, c)
	for ch := range shift {
		shift[ch] = float64(x[ch*inner])
	}
	if inner == 1 {
		for b := 0; b < n; b++ {
			for ch, v := range x[b*c : (b+1)*c] {
				d := float64(v) - shift[ch]
				mean[ch] += d
				vr[ch] += d * d
			}
		}
	} else {
		for b := 0; b < n; b++ {
			for ch := range mean {
				s1, s2 := shiftedSums(x[(b*c+ch)*inner:(b*c+ch+1)*inner], shift[ch])
				mean[ch] += s1
				vr[ch] += s2
			}
		}
	}
	cnt := float64(n * inner)
	for ch := range mean {
		s1 := mean[ch]
		mean[ch] = shift[ch] + s1/cnt
		vr[ch] = max(0, (vr[ch]-s1*s1/cnt)/cnt)
	}
}

// shiftedSums returns Σ(v − k) and Σ(v − k)² in float64 (four partial sums
// each, so that the additions do not wait on each other).
func shiftedSums[T float32 | float64](v []T, k float64) (s1, s2 float64) {
	var a0, a1, a2, a3, q0, q1, q2, q3 float64
	for ; len(v) >= 4; v = v[4:] {
		d0, d1, d2, d3 := float64(v[0])-k, float64(v[1])-k, float64(v[2])-k, float64(v[3])-k
		a0 += d0
		a1 += d1
		a2 += d2
		a3 += d3
		q0 += d0 * d0
		q1 += d1 * d1
		q2 += d2 * d2
		q3 += d3 * d3
	}
	for _, e := range v {
		d := float64(e) - k
		a0 += d
		q0 += d * d
	}
	return (a0 + a1) + (a2 + a3), (q0 + q1) + (q2 + q3)
}

// gradSums returns Σ gy and Σ gy·(x − mu) in float64.
func gradSums[T float32 | float64](gy, x []T, mu float64) (sg, sgx float64) {
	var a0, a1, a2, a3, b0, b1, b2, b3 float64
	x = x[:len(gy)]
	for ; len(gy) >= 4 && len(x) >= 4; gy, x = gy[4:], x[4:] {
		g0, g1, g2, g3 := float64(gy[0]), float64(gy[1]), float64(gy[2]), float64(gy[3])
		a0 += g0
		a1 += g1
		a2 += g2
		a3 += g3
		b0 += g0 * (float64(x[0]) - mu)
		b1 += g1 * (float64(x[1]) - mu)
		b2 += g2 * (float64(x[2]) - mu)
		b3 += g3 * (float64(x[3]) - mu)
	}
	for i, g := range gy {
		a0 += float64(g)
		b0 += float64(g) * (float64(x[i]) - mu)
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
}

// bnApplyK writes y = (x − mean)·(γ·inv) + β, per channel, for the
// n×c×inner tensor x.
func bnApplyK[T float32 | float64](y, x, mean, inv, gain, bias []T, n, inner int) {
	c := len(mean)
	if inner == 1 {
		scale := make([]T, c)
		for ch := range scale {
			scale[ch] = gain[ch] * inv[ch]
		}
		for b := 0; b < n; b++ {
			xr, yr := x[b*c:(b+1)*c], y[b*c:(b+1)*c]
			for ch, v := range xr {
				yr[ch] = (v-mean[ch])*scale[ch] + bias[ch]
			}
		}
		return
	}
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			off := (b*c + ch) * inner
			xs, ys := x[off:off+inner], y[off:off+inner]
			ys = ys[:len(xs)]
			mu, a, be := mean[ch], gain[ch]*inv[ch], bias[ch]
			for i, v := range xs {
				ys[i] = (v-mu)*a + be
			}
		}
	}
}

// bnGradSumsK writes, per channel, dγ = Σ gy·(x − mean)·inv into sums[:c]
// and dβ = Σ gy into sums[c:].
func bnGradSumsK[T float32 | float64](sums, x, gy, mean, inv []T, n, inner int) {
	c := len(mean)
	dg, db := make([]float64, c), make([]float64, c)
	if inner == 1 {
		for b := 0; b < n; b++ {
			xr, gr := x[b*c:(b+1)*c], gy[b*c:(b+1)*c]
			for ch, v := range xr {
				g := float64(gr[ch])
				db[ch] += g
				dg[ch] += g * (float64(v) - float64(mean[ch]))
			}
		}
	} else {
		for b := 0; b < n; b++ {
			for ch := 0; ch < c; ch++ {
				off := (b*c + ch) * inner
				sg, sgx := gradSums(gy[off:off+inner], x[off:off+inner], float64(mean[ch]))
				db[ch] += sg
				dg[ch] += sgx
			}
		}
	}
	for ch := 0; ch < c; ch++ {
		sums[ch] = T(dg[ch] * float64(inv[ch]))
		sums[c+ch] = T(db[ch])
	}
}

// bnInputGradK writes the gradient w.r.t. x. In training mode, where the
// mean and variance depend on x,
//
//	gx = γ·inv·(gy − dβ/m − x̂·dγ/m),  x̂ = (x − mean)·inv,
//
// with m = n·inner values per channel; in evaluation mode gx = γ·inv·gy.
func bnInputGradK[T float32 | float64](gx, x, gy, mean, inv, gain, dGain, dBias []T, n, inner int, training bool) {
	c := len(mean)
	a, k2, k3 := make([]T, c), make([]T, c), make([]T, c)
	m := float64(n * inner)
	for ch := range a {
		ga, iv := float64(gain[ch]), float64(inv[ch])
		a[ch] = T(ga * iv)
		if training {
			k2[ch] = T(-ga * iv * iv * float64(dGain[ch]) / m)
			k3[ch] = T(-ga * iv * float64(dBias[ch]) / m)
		}
	}
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			off := (b*c + ch) * inner
			xs, gs, out := x[off:off+inner], gy[off:off+inner], gx[off:off+inner]
			xs, out = xs[:len(gs)], out[:len(gs)]
			mu, aa, kk2, kk3 := mean[ch], a[ch], k2[ch], k3[ch]
			if !training {
				for i, g := range gs {
					out[i] = g * aa
				}
				continue
			}
			for i, g := range gs {
				out[i] = g*aa + (xs[i]-mu)*kk2 + kk3
			}
		}
	}
}
