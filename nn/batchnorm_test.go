package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/gradcheck"
)

// bnShapes are the two input layouts: N×F (per feature) and N×C×H×W (per
// channel over N, H, W).
var bnShapes = [][]int{{5, 3}, {3, 2, 3, 2}}

// newBN returns a BatchNorm over the channels of shape in a new store of
// dtype dt, with random gains and shifts.
func newBN(t testing.TB, dt tensor.Dtype, shape []int, rng *rand.Rand) (*Store, *BatchNorm) {
	t.Helper()
	s := NewStore(dt)
	l, err := NewBatchNorm(s, "bn", shape[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bn.g", "bn.b"} {
		v, _ := s.Value(name)
		setF64(v, func(i int) float64 { return 0.5 + rng.Float64() })
	}
	return s, l
}

// setF64 sets every element i of t (float32 or float64) to f(i).
func setF64(t *tensor.Dense, f func(i int) float64) {
	switch d := t.Data().(type) {
	case []float64:
		for i := range d {
			d[i] = f(i)
		}
	case []float32:
		for i := range d {
			d[i] = float32(f(i))
		}
	}
}

// bnRef is the reference: per-channel mean and biased variance of x (n×c×inner).
func bnRef(x []float64, shape []int) (mean, vr []float64) {
	n, c := shape[0], shape[1]
	inner := len(x) / (n * c)
	mean, vr = make([]float64, c), make([]float64, c)
	for i, v := range x {
		mean[(i/inner)%c] += v
	}
	m := float64(n * inner)
	for ch := range mean {
		mean[ch] /= m
	}
	for i, v := range x {
		d := v - mean[(i/inner)%c]
		vr[(i/inner)%c] += d * d
	}
	for ch := range vr {
		vr[ch] /= m
	}
	return mean, vr
}

// TestBatchNormGradients compares the gradients of a non-linear function of
// the output w.r.t. the input, gain and shift with central differences, in
// training mode (where the batch statistics depend on the input) and in
// evaluation mode (running statistics), for both layouts.
func TestBatchNormGradients(t *testing.T) {
	for _, shape := range bnShapes {
		for _, training := range []bool{true, false} {
			name := "train"
			if !training {
				name = "eval"
			}
			t.Run(fmt.Sprintf("%v_%s", shape, name), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(31, 32))
				s, l := newBN(t, tensor.Float64, shape, rng)
				rm, _ := s.Value("bn" + RunningMeanSuffix)
				rv, _ := s.Value("bn" + RunningVarSuffix)
				setF64(rm, func(int) float64 { return rng.NormFloat64() })
				setF64(rv, func(int) float64 { return 0.2 + rng.Float64() })
				g := NewGraph(s)
				g.SetTraining(training)
				x, xt := g.Input("x", shape...)
				setF64(xt, func(int) float64 { return 0.7 + 1.5*rng.NormFloat64() })
				y, err := l.Forward(g, x)
				if err != nil {
					t.Fatal(err)
				}
				ys := y.Shape()
				r1 := g.Constant("r1", randVec(rng, ys.TotalSize()), ys...)
				r2 := g.Constant("r2", randVec(rng, ys.TotalSize()), ys...)
				// L = Σ r1⊙y + Σ r2⊙y²: not linear in y, so every term of
				// the input gradient matters.
				loss := G.Must(G.Add(
					G.Must(G.Sum(G.Must(G.HadamardProd(y, r1)))),
					G.Must(G.Sum(G.Must(G.HadamardProd(G.Must(G.Square(y)), r2))))))
				if names := strings.Join(g.ParamNames(), ","); names != "bn.g,bn.b" {
					t.Fatalf("graph parameters %s, want bn.g,bn.b (buffers are not parameters)", names)
				}
				res, err := gradcheck.Check(g.G, loss, append(g.Params(), x), gradcheck.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if res.MaxErr > 1 {
					t.Fatalf("gradient mismatch %.3g at %s", res.MaxErr, res.Where)
				}
				t.Logf("checked %d, max err %.3g", res.Checked, res.MaxErr)
			})
		}
	}
}

// TestBatchNormForward compares the output with the formula, in training
// mode (batch statistics) and evaluation mode (running statistics), in
// float64 and float32, and checks that in evaluation mode an example's
// output does not depend on the rest of its batch.
func TestBatchNormForward(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, shape := range bnShapes {
			rng := rand.New(rand.NewPCG(33, 34))
			s, l := newBN(t, dt, shape, rng)
			rm, _ := s.Value("bn" + RunningMeanSuffix)
			rv, _ := s.Value("bn" + RunningVarSuffix)
			setF64(rm, func(i int) float64 { return 0.3 * float64(i+1) })
			setF64(rv, func(i int) float64 { return 0.5 + float64(i) })
			xData := randVec(rng, tensor.Shape(shape).TotalSize())
			for i := range xData {
				xData[i] = 2 + 3*xData[i]
			}
			gain, bias := asF64(mustValue(s, "bn.g")), asF64(mustValue(s, "bn.b"))
			c := shape[1]
			inner := len(xData) / (shape[0] * c)
			run := func(training bool, n int) []float64 {
				g := NewGraph(s)
				g.SetTraining(training)
				sh := append([]int{n}, shape[1:]...)
				x, xt := g.Input("x", sh...)
				setF64(xt, func(i int) float64 { return xData[i] })
				y, err := l.Forward(g, x)
				if err != nil {
					t.Fatal(err)
				}
				runGraph(t, g)
				return asF64(y.Value())
			}
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 2e-6
			}
			check := func(mode string, got []float64, mean, vr []float64) {
				t.Helper()
				for i, v := range got {
					ch := (i / inner) % c
					want := gain[ch]*(xData[i]-mean[ch])/math.Sqrt(vr[ch]+1e-5) + bias[ch]
					if math.Abs(v-want) > tol*(1+math.Abs(want)) {
						t.Fatalf("%v %v %s: y[%d] = %.10g, want %.10g", dt, shape, mode, i, v, want)
					}
				}
			}
			rmv, rvv := asF64(rm), asF64(rv)
			eval := run(false, shape[0])
			check("eval", eval, rmv, rvv)
			if got := asF64(rm); got[0] != rmv[0] {
				t.Fatalf("an evaluation run changed the running mean")
			}
			// Evaluation of the first example alone gives the same values.
			alone := run(false, 1)
			for i, v := range alone {
				if v != eval[i] {
					t.Fatalf("%v %v: eval output [%d] is %g alone, %g in the batch", dt, shape, i, v, eval[i])
				}
			}
			mean, vr := bnRef(xData, shape)
			train := run(true, shape[0])
			check("train", train, mean, vr)
			if math.Abs(train[0]-eval[0]) < 1e-3 {
				t.Fatalf("training and evaluation outputs agree (%g): the modes are not distinguished", train[0])
			}
			if got := asF64(rm); got[0] == rmv[0] {
				t.Fatalf("a training run left the running mean unchanged")
			}
		}
	}
}

func mustValue(s *Store, name string) *tensor.Dense {
	v, ok := s.Value(name)
	if !ok {
		panic("no tensor " + name)
	}
	return v
}

// TestBatchNormRunningStatistics runs one differentiated graph five times
// on different batches and compares the running statistics after every run
// with PyTorch's recurrence computed here (momentum 0.1, unbiased variance),
// in float64 and float32, for both layouts. The output is used by two
// nodes, and the gradient nodes run too: still one update per run. An
// evaluation-mode run of the same graph changes nothing.
func TestBatchNormRunningStatistics(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, shape := range bnShapes {
			rng := rand.New(rand.NewPCG(35, 36))
			s, l := newBN(t, dt, shape, rng)
			g := NewGraph(s)
			x, xt := g.Input("x", shape...)
			y, err := l.Forward(g, x)
			if err != nil {
				t.Fatal(err)
			}
			loss := G.Must(G.Add(G.Must(G.Sum(G.Must(G.Square(y)))), G.Must(G.Sum(y))))
			if _, err := G.Grad(loss, g.Params()...); err != nil {
				t.Fatal(err)
			}
			m := G.NewTapeMachine(g.G, G.BindDualValues(g.Params()...))
			defer m.Close()
			c := shape[1]
			cnt := float64(tensor.Shape(shape).TotalSize() / c)
			wantMean, wantVar := make([]float64, c), make([]float64, c)
			for i := range wantVar {
				wantVar[i] = 1
			}
			tol := 1e-13
			if dt == tensor.Float32 {
				tol = 1e-6
			}
			compare := func(run int) {
				t.Helper()
				gm, gv := asF64(mustValue(s, "bn"+RunningMeanSuffix)), asF64(mustValue(s, "bn"+RunningVarSuffix))
				for ch := 0; ch < c; ch++ {
					if math.Abs(gm[ch]-wantMean[ch]) > tol*(1+math.Abs(wantMean[ch])) ||
						math.Abs(gv[ch]-wantVar[ch]) > tol*(1+math.Abs(wantVar[ch])) {
						t.Fatalf("%v %v after run %d: channel %d running mean %.10g var %.10g, want %.10g %.10g",
							dt, shape, run, ch, gm[ch], gv[ch], wantMean[ch], wantVar[ch])
					}
				}
			}
			for run := 1; run <= 5; run++ {
				xData := randVec(rng, tensor.Shape(shape).TotalSize())
				for i := range xData {
					xData[i] = float64(run) + float64(run)*xData[i]
				}
				setF64(xt, func(i int) float64 { return xData[i] })
				if dt == tensor.Float32 {
					xData = asF64(xt) // the values the graph sees
				}
				m.Reset()
				if err := m.RunAll(); err != nil {
					t.Fatal(err)
				}
				mean, vr := bnRef(xData, shape)
				for ch := range wantMean {
					wantMean[ch] = 0.9*wantMean[ch] + 0.1*mean[ch]
					wantVar[ch] = 0.9*wantVar[ch] + 0.1*vr[ch]*cnt/(cnt-1)
				}
				compare(run)
			}
			g.SetTraining(false)
			m.Reset()
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			compare(6)
		}
	}
}

// TestBatchNormBuffers: the running statistics are buffers, saved and loaded
// with the parameters but not trainable.
func TestBatchNormBuffers(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	s := NewStore(tensor.Float32)
	if _, err := NewLinear(s, "fc", 2, 3, HeNormal, rng); err != nil {
		t.Fatal(err)
	}
	if _, err := NewBatchNorm(s, "bn", 3); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Names(), ","); got != "fc.w,fc.b,bn.g,bn.b" {
		t.Fatalf("parameters %s", got)
	}
	if got := strings.Join(s.Buffers(), ","); got != "bn.running_mean,bn.running_var" {
		t.Fatalf("buffers %s", got)
	}
	if s.Size() != 6+3+3+3 {
		t.Fatalf("size %d counts the buffers", s.Size())
	}
	if !s.IsBuffer("bn.running_var") || s.IsBuffer("bn.g") {
		t.Fatal("IsBuffer")
	}
	g := NewGraph(s)
	if _, err := g.Param("bn.running_mean"); err == nil || !strings.Contains(err.Error(), "buffer") {
		t.Fatalf("a buffer bound as a parameter: %v", err)
	}
	ts := s.Tensors()
	var names []string
	copies := make([]Tensor, len(ts))
	for i, tt := range ts {
		names = append(names, tt.Name)
		if tt.Buffer != strings.Contains(tt.Name, "running") {
			t.Fatalf("%s: Buffer = %v", tt.Name, tt.Buffer)
		}
		copies[i] = Tensor{Name: tt.Name, Shape: tt.Shape, Data: make([]float32, len(tt.Data))}
		for j := range copies[i].Data {
			copies[i].Data[j] = float32(i) + 0.25*float32(j)
		}
	}
	if got := strings.Join(names, ","); got != "fc.w,fc.b,bn.g,bn.b,bn.running_mean,bn.running_var" {
		t.Fatalf("tensors %s", got)
	}
	if err := s.Load(copies); err != nil {
		t.Fatal(err)
	}
	for i, tt := range s.Tensors() {
		for j, v := range tt.Data {
			if v != copies[i].Data[j] {
				t.Fatalf("%s[%d] = %v after load, want %v", tt.Name, j, v, copies[i].Data[j])
			}
		}
	}
	// A load without the buffers is refused and changes nothing.
	before := s.Tensors()[0].Data[0]
	copies[0].Data[0]++
	err := s.Load(copies[:4])
	if err == nil || !strings.Contains(err.Error(), "buffer \"bn.running_mean\" missing") {
		t.Fatalf("load without buffers: %v", err)
	}
	if s.Tensors()[0].Data[0] != before {
		t.Fatal("a refused load changed the store")
	}
	if _, err := s.NewBuffer("bn.running_var", []int{3}, 0); err == nil {
		t.Fatal("duplicate buffer accepted")
	}
	if _, err := s.NewBuffer("z", []int{0}, 0); err == nil {
		t.Fatal("empty buffer accepted")
	}
}

// TestBatchNormErrors: bad inputs and uses are errors, not panics.
func TestBatchNormErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(39, 40))
	s := NewStore(tensor.Float32)
	if _, err := NewBatchNorm(s, "bad", 0); err == nil {
		t.Error("zero channels accepted")
	}
	l, err := NewBatchNorm(s, "bn", 4)
	if err != nil {
		t.Fatal(err)
	}
	g := NewGraph(s)
	x, _ := g.Input("x", 3, 5)
	if _, err := l.Forward(g, x); err == nil || !strings.Contains(err.Error(), "N×4") {
		t.Errorf("wrong channel count: %v", err)
	}
	one, _ := g.Input("one", 1, 4)
	if _, err := l.Forward(g, one); err == nil || !strings.Contains(err.Error(), "more than one value") {
		t.Errorf("training on one example: %v", err)
	}
	ge := NewGraph(s)
	ge.SetTraining(false)
	one, _ = ge.Input("one", 1, 4)
	if _, err := l.Forward(ge, one); err != nil {
		t.Errorf("evaluation on one example: %v", err)
	}
	bad := *l
	bad.Momentum = 2
	x4, _ := g.Input("x4", 3, 4)
	if _, err := bad.Forward(g, x4); err == nil {
		t.Error("momentum 2 accepted")
	}
	// Switching a graph built in evaluation mode to training mode and
	// running it on one example is a run-time error.
	ge.SetTraining(true)
	m := G.NewTapeMachine(ge.G)
	defer m.Close()
	if err := m.RunAll(); err == nil || !strings.Contains(err.Error(), "more than one value") {
		t.Errorf("training run on one example: %v", err)
	}
	// In a critic under a gradient penalty: a clear error.
	conv, err := NewConv2d(s, "c", 1, 4, 3, 1, 1, HeNormal, rng)
	if err != nil {
		t.Fatal(err)
	}
	critic := Sequential{conv, l, LeakyReLU{Alpha: 0.2}, Flatten{}}
	gp := NewGraph(s)
	img, _ := gp.Input("img", 2, 1, 3, 3)
	_, _, err = critic.ForwardWithInputGrad(gp, img, func(y *G.Node) (*G.Node, error) { return y, nil })
	if err == nil || !strings.Contains(err.Error(), "LayerNorm") {
		t.Errorf("batch norm under a gradient penalty: %v", err)
	}
}

// BenchmarkBatchNorm times the fused batch norm on a 64×64×14×14 float32
// batch (a DCGAN's second stage): the forward pass in training and
// evaluation mode, and the forward pass plus the backward pass from a given
// output gradient to the gradients w.r.t. input, gain and shift.
func BenchmarkBatchNorm(b *testing.B) {
	shape := []int{64, 64, 14, 14}
	for _, c := range []struct {
		name           string
		training, grad bool
	}{{"forward_train", true, false}, {"forward_eval", false, false}, {"forward_backward", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(41, 42))
			s, l := newBN(b, tensor.Float32, shape, rng)
			g := NewGraph(s)
			g.SetTraining(c.training)
			x, xt := g.Input("x", shape...)
			fill(xt, rng, 1)
			y, err := l.Forward(g, x)
			if err != nil {
				b.Fatal(err)
			}
			if c.grad {
				gy, gyt := g.Input("gy", shape...)
				fill(gyt, rng, 1)
				if _, err := G.Backpropagate(G.Nodes{y}, G.Nodes{gy}, append(g.Params(), x)); err != nil {
					b.Fatal(err)
				}
			}
			m := G.NewTapeMachine(g.G)
			defer m.Close()
			b.SetBytes(int64(4 * tensor.Shape(shape).TotalSize()))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.Reset()
				if err := m.RunAll(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
