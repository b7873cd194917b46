package optim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// quadratic builds loss = Σ w_i² / 2 over one float32 parameter holding w,
// so that the gradient equals w, and returns the parameter and a machine
// that computes the gradient.
func quadratic(t *testing.T, w []float32) (*G.Node, G.VM) {
	t.Helper()
	g := G.NewGraph()
	p := G.NewVector(g, tensor.Float32, G.WithShape(len(w)), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(len(w)), tensor.WithBacking(append([]float32(nil), w...)))))
	sq := G.Must(G.Square(p))
	loss := G.Must(G.Mul(G.Must(G.Sum(sq)), G.NewConstant(float32(0.5))))
	if _, err := G.Grad(loss, p); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(p))
	t.Cleanup(func() { vm.Close() })
	return p, vm
}

func values(p *G.Node) []float32 { return p.Value().(*tensor.Dense).Data().([]float32) }

// step runs the machine (gradient = current w) and one optimiser update.
func step(t *testing.T, vm G.VM, o *Optimizer) {
	t.Helper()
	gradients(t, vm)
	if err := o.Step(); err != nil {
		t.Fatal(err)
	}
}

// gradients runs the machine once, binding the gradients to the nodes.
func gradients(t testing.TB, vm G.VM) {
	t.Helper()
	vm.Reset()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
}

// TestUpdatesFollowTheirDefinitions compares two updates of each optimiser
// with the update rules computed by hand in float64 (gradient = w).
func TestUpdatesFollowTheirDefinitions(t *testing.T) {
	w0 := []float64{1, -2, 0.5}
	const lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
	for _, name := range []string{"adam", "rmsprop", "sgd"} {
		t.Run(name, func(t *testing.T) {
			f32 := make([]float32, len(w0))
			for i, v := range w0 {
				f32[i] = float32(v)
			}
			p, vm := quadratic(t, f32)
			o, err := New(name, lr, b1, b2, G.Nodes{p}, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := append([]float64(nil), w0...)
			m := make([]float64, len(w0))
			v := make([]float64, len(w0))
			for k := 1; k <= 2; k++ {
				step(t, vm, o)
				for i := range want {
					g := want[i]
					switch name {
					case "adam":
						m[i] = b1*m[i] + (1-b1)*g
						v[i] = b2*v[i] + (1-b2)*g*g
						mh := m[i] / (1 - math.Pow(b1, float64(k)))
						vh := v[i] / (1 - math.Pow(b2, float64(k)))
						want[i] -= lr * mh / (math.Sqrt(vh) + eps)
					case "rmsprop":
						v[i] = b2*v[i] + (1-b2)*g*g
						want[i] -= lr * g / (math.Sqrt(v[i]) + eps)
					case "sgd":
						want[i] -= lr * g
					}
				}
			}
			got := values(p)
			for i := range want {
				if math.Abs(float64(got[i])-want[i]) > 1e-5*(1+math.Abs(want[i])) {
					t.Errorf("w[%d] = %v after 2 steps, want %v", i, got[i], want[i])
				}
			}
			if o.T != 2 {
				t.Errorf("T = %d, want 2", o.T)
			}
		})
	}
}

// TestClip: with Clip set, every parameter ends in [-Clip, Clip].
func TestClip(t *testing.T) {
	p, vm := quadratic(t, []float32{3, -3, 0.001})
	o, err := New("sgd", 0.1, 0, 0, G.Nodes{p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Clip = 0.01
	step(t, vm, o)
	for i, v := range values(p) {
		if v < -0.01 || v > 0.01 {
			t.Errorf("w[%d] = %v, want within ±0.01", i, v)
		}
	}
}

// TestNonFiniteGradientChangesNothing: a NaN gradient is an error naming
// the parameter, and neither the weights nor the step count move.
func TestNonFiniteGradientChangesNothing(t *testing.T) {
	p, vm := quadratic(t, []float32{float32(math.NaN()), 1})
	o, err := New("adam", 0.1, 0.9, 0.999, G.Nodes{p}, []string{"dec.w"})
	if err != nil {
		t.Fatal(err)
	}
	gradients(t, vm)
	err = o.Step()
	if err == nil || !strings.Contains(err.Error(), "dec.w") {
		t.Fatalf("Step = %v, want an error naming dec.w", err)
	}
	if w := values(p); w[1] != 1 || o.T != 0 {
		t.Errorf("after a refused step w = %v, T = %d; want w[1] = 1, T = 0", w, o.T)
	}
}

func TestNewErrors(t *testing.T) {
	p, _ := quadratic(t, []float32{1})
	for _, c := range []struct {
		name      string
		lr, b1    float64
		names     []string
		wantInErr string
	}{
		{"adagrad", 0.1, 0.9, nil, "unknown optimizer"},
		{"adam", 0, 0.9, nil, "learning rate"},
		{"adam", math.Inf(1), 0.9, nil, "learning rate"},
		{"adam", 0.1, 1, nil, "betas"},
		{"sgd", 0.1, 0, []string{"a", "b"}, "2 names for 1"},
	} {
		_, err := New(c.name, c.lr, c.b1, 0.999, G.Nodes{p}, c.names)
		if err == nil || !strings.Contains(err.Error(), c.wantInErr) {
			t.Errorf("New(%s, lr %v, beta1 %v) = %v, want an error with %q", c.name, c.lr, c.b1, err, c.wantInErr)
		}
	}
}

// quadratics is quadratic for several parameters: loss = Σ_p Σ_i w_pi² / 2.
func quadratics(t testing.TB, ws ...[]float32) (G.Nodes, G.VM) {
	t.Helper()
	g := G.NewGraph()
	var ps G.Nodes
	var loss *G.Node
	for i, w := range ws {
		p := G.NewVector(g, tensor.Float32, G.WithShape(len(w)), G.WithName(fmt.Sprintf("w%d", i)),
			G.WithValue(tensor.New(tensor.WithShape(len(w)), tensor.WithBacking(append([]float32(nil), w...)))))
		s := G.Must(G.Mul(G.Must(G.Sum(G.Must(G.Square(p)))), G.NewConstant(float32(0.5))))
		if loss == nil {
			loss = s
		} else {
			loss = G.Must(G.Add(loss, s))
		}
		ps = append(ps, p)
	}
	if _, err := G.Grad(loss, ps...); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(ps...))
	t.Cleanup(func() { vm.Close() })
	return ps, vm
}

// TestLargeParametersSplitExactly: parameters larger than a chunk, updated
// by several goroutines, get exactly the float32 update rules element by
// element (as written out here), for every optimiser and with clipping.
func TestLargeParametersSplitExactly(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{3*chunkSize + 17, 5, chunkSize}
	const lr, b1, b2, eps, clip = 0.01, 0.9, 0.999, 1e-8, 0.9
	for _, name := range []string{"adam", "rmsprop", "sgd"} {
		t.Run(name, func(t *testing.T) {
			var ws, ms, vs [][]float32
			for _, n := range sizes {
				w := make([]float32, n)
				for i := range w {
					w[i] = float32(rng.NormFloat64())
				}
				ws = append(ws, w)
				ms = append(ms, make([]float32, n))
				vs = append(vs, make([]float32, n))
			}
			ps, vm := quadratics(t, ws...)
			o, err := New(name, lr, b1, b2, ps, nil)
			if err != nil {
				t.Fatal(err)
			}
			o.Clip = clip
			for k := 1; k <= 3; k++ {
				step(t, vm, o)
				c1 := float32(1 / (1 - math.Pow(b1, float64(k))))
				c2 := float32(1 / (1 - math.Pow(o.Beta2, float64(k))))
				f1, f2, fr := float32(b1), float32(o.Beta2), float32(lr)
				for p, w := range ws {
					for i, g := range w { // the gradient is w itself
						switch name {
						case "adam":
							m, v := &ms[p][i], &vs[p][i]
							// Every product rounded (no fused multiply-add).
							*m = float32(f1**m) + float32((1-f1)*g)
							*v = float32(f2**v) + float32(float32((1-f2)*g)*g)
							w[i] -= float32(fr*float32(*m*c1)) / (float32(math.Sqrt(float64(float32(*v*c2)))) + eps)
						case "rmsprop":
							s := &ms[p][i]
							*s = f2**s + (1-f2)*g*g
							w[i] -= fr * g / (float32(math.Sqrt(float64(*s))) + eps)
						case "sgd":
							w[i] -= fr * g
						}
						w[i] = min(max(w[i], -clip), clip)
					}
					got := values(ps[p])
					for i := range w {
						if got[i] != w[i] {
							t.Fatalf("step %d: w%d[%d] = %v, want %v", k, p, i, got[i], w[i])
						}
					}
				}
			}
		})
	}
}

// TestNonFiniteInLargeParameterChangesNothing: an Inf in the last chunk
// of a large parameter, found by one of several goroutines, still stops
// the whole step before any parameter moves.
func TestNonFiniteInLargeParameterChangesNothing(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	small := []float32{1, 2}
	large := make([]float32, 2*chunkSize+3)
	for i := range large {
		large[i] = 0.5
	}
	large[len(large)-1] = float32(math.Inf(-1))
	ps, vm := quadratics(t, small, large)
	o, err := New("adam", 0.1, 0.9, 0.999, ps, []string{"enc.w", "dec.w"})
	if err != nil {
		t.Fatal(err)
	}
	gradients(t, vm)
	err = o.Step()
	if err == nil || !strings.Contains(err.Error(), "dec.w") {
		t.Fatalf("Step = %v, want an error naming dec.w", err)
	}
	if w := values(ps[0]); w[0] != 1 || w[1] != 2 || values(ps[1])[0] != 0.5 || o.T != 0 || o.M[0][0] != 0 {
		t.Errorf("after a refused step w0 = %v, w1[0] = %v, T = %d, M[0][0] = %v; want unchanged", w, values(ps[1])[0], o.T, o.M[0][0])
	}
}

// BenchmarkAdamStep: one Adam update of 1.2 million parameters (the
// MNIST WAE-GAN's encoder, decoder and latent critic: a few large matrices
// and many small vectors).
func BenchmarkAdamStep(b *testing.B) {
	var ws [][]float32
	for _, n := range []int{512 * 512, 512 * 512, 512 * 512, 64 * 1024, 128 * 1024, 128 * 64 * 16, 4096, 512, 512, 512, 64, 64} {
		ws = append(ws, make([]float32, n))
	}
	ps, vm := quadratics(b, ws...)
	o, err := New("adam", 1e-4, 0.5, 0.999, ps, nil)
	if err != nil {
		b.Fatal(err)
	}
	gradients(b, vm)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := o.Step(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAdamKernelMatchesGo compares the Adam kernel in use (adamSIMD names
// it) with adamGo bit for bit, on every length up to 40 (whole vectors and
// masked tails) and a long one, with gradients from tiny (subnormal) to
// huge and moments of all sizes.
func TestAdamKernelMatchesGo(t *testing.T) {
	t.Logf("Adam kernel: %q", adamSIMD)
	rng := rand.New(rand.NewPCG(5, 6))
	val := func() float32 {
		scale := [...]float64{1e-40, 1e-20, 1e-3, 1, 1e3, 1e15}[rng.IntN(6)]
		return float32(rng.NormFloat64() * scale)
	}
	c := adamConsts{b1: 0.5, nb1: 0.5, b2: 0.999, nb2: 1 - float32(0.999), lr: 2e-4, c1: 1.7, c2: 31.6, eps: 1e-8}
	lengths := []int{4099}
	for n := 0; n <= 40; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		var w, g, m, v [2][]float32
		for k := range 2 {
			w[k], g[k], m[k], v[k] = make([]float32, n+1), make([]float32, n), make([]float32, n+1), make([]float32, n+1)
		}
		for i := 0; i < n; i++ {
			w[0][i], g[0][i], m[0][i], v[0][i] = val(), val(), val(), float32(math.Abs(float64(val())))
		}
		// A sentinel after the last value: the masked tail leaves it.
		w[0][n], m[0][n], v[0][n] = 7, 8, 9
		copy(w[1], w[0])
		copy(g[1], g[0])
		copy(m[1], m[0])
		copy(v[1], v[0])
		adam(w[0][:n], g[0], m[0][:n], v[0][:n], c)
		adamGo(w[1][:n], g[1], m[1][:n], v[1][:n], c)
		for i := 0; i <= n; i++ {
			if math.Float32bits(w[0][i]) != math.Float32bits(w[1][i]) || m[0][i] != m[1][i] || v[0][i] != v[1][i] {
				t.Fatalf("n=%d, value %d: kernel w,m,v = %v,%v,%v; adamGo %v,%v,%v", n, i, w[0][i], m[0][i], v[0][i], w[1][i], m[1][i], v[1][i])
			}
		}
		if w[0][n] != 7 || m[0][n] != 8 || v[0][n] != 9 {
			t.Fatalf("n=%d: the kernel wrote past the last value", n)
		}
	}
}
