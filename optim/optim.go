// Package optim holds the optimisers that update a model's float32
// parameters from the gradients a Gorgonia tape machine bound to their
// nodes: Adam (Kingma & Ba 2015, Algorithm 1), RMSProp and SGD. The
// training loop (train) and the classifiers (classifier) use it, and its
// exported state (moments, step count) is what checkpoints store.
package optim

import (
	"fmt"
	"math"
	"runtime"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/internal/par"
)

// Optimizer updates a set of float32 parameters from the gradients that a
// tape machine bound to their nodes. Its state (moments, step count) is
// exported for checkpoints. Gorgonia accumulates gradients across runs, so
// Step zeroes them after each update.
type Optimizer struct {
	// Name is "adam", "rmsprop" or "sgd".
	Name string
	// LR is the learning rate; Beta1, Beta2 the Adam decay rates (Beta2 is
	// also RMSProp's decay); Eps the denominator's guard.
	LR, Beta1, Beta2, Eps float64
	// T is the number of updates done so far.
	T int
	// Clip, when positive, clips every parameter to [-Clip, Clip] after each
	// update (WGAN's weight clipping).
	Clip float64

	nodes []*G.Node
	names []string
	// M and V hold the first and second moments, one slice per parameter
	// (V only for Adam and RMSProp).
	M, V [][]float32
}

// New returns an optimiser for the given parameter nodes, which
// must be float32 tensors; names label them in errors (the nodes' own names
// when names is nil).
func New(name string, lr, beta1, beta2 float64, nodes G.Nodes, names []string) (*Optimizer, error) {
	switch name {
	case "adam", "rmsprop", "sgd":
	default:
		return nil, fmt.Errorf("optim: unknown optimizer %q (want adam, rmsprop or sgd)", name)
	}
	if !(lr > 0) || math.IsInf(lr, 0) {
		return nil, fmt.Errorf("optim: learning rate %v, want > 0", lr)
	}
	if name == "adam" && !(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1) {
		return nil, fmt.Errorf("optim: adam betas %v, %v, want in [0, 1)", beta1, beta2)
	}
	if names == nil {
		for _, n := range nodes {
			names = append(names, n.Name())
		}
	}
	if len(names) != len(nodes) {
		return nil, fmt.Errorf("optim: %d names for %d parameters", len(names), len(nodes))
	}
	o := &Optimizer{Name: name, LR: lr, Beta1: beta1, Beta2: beta2, Eps: 1e-8, nodes: nodes, names: names}
	if name == "rmsprop" {
		if beta2 == 0 {
			o.Beta2 = 0.99 // PyTorch's default alpha
		}
	}
	for _, n := range nodes {
		t, ok := n.Value().(*tensor.Dense)
		if !ok || t.Dtype() != tensor.Float32 {
			return nil, fmt.Errorf("optim: parameter %s is not a float32 tensor", n.Name())
		}
		size := t.Shape().TotalSize()
		if name != "sgd" {
			o.M = append(o.M, make([]float32, size))
		}
		if name == "adam" {
			o.V = append(o.V, make([]float32, size))
		}
	}
	return o, nil
}

// Step applies one update from the current gradients and zeroes them. If a
// gradient holds NaN or Inf, Step changes nothing and returns an error.
func (o *Optimizer) Step() error {
	grads := make([][]float32, len(o.nodes))
	weights := make([][]float32, len(o.nodes))
	for i, n := range o.nodes {
		gv, err := n.Grad()
		if err != nil {
			return fmt.Errorf("optim: gradient of %s: %w", o.names[i], err)
		}
		gt, ok := gv.(*tensor.Dense)
		if !ok {
			return fmt.Errorf("optim: gradient of %s is %T", o.names[i], gv)
		}
		grads[i] = gt.Data().([]float32)
		weights[i] = n.Value().(*tensor.Dense).Data().([]float32)
	}
	chunks := split(grads)
	bad := make([]bool, len(chunks))
	parallel(len(chunks), func(c int) { bad[c] = !finite(chunks[c].of(grads)) })
	for c, b := range bad {
		if b {
			i := chunks[c].param
			for _, v := range chunks[c].of(grads) {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return fmt.Errorf("optim: gradient of %s is not finite (%v)", o.names[i], v)
				}
			}
		}
	}
	o.T++
	u := update{name: o.Name, lr: float32(o.LR), eps: float32(o.Eps),
		b1: float32(o.Beta1), b2: float32(o.Beta2), clip: float32(o.Clip)}
	if o.Name == "adam" {
		// Bias corrections of Kingma & Ba 2015, Algorithm 1.
		u.c1 = float32(1 / (1 - math.Pow(o.Beta1, float64(o.T))))
		u.c2 = float32(1 / (1 - math.Pow(o.Beta2, float64(o.T))))
	}
	parallel(len(chunks), func(c int) {
		ch := chunks[c]
		var m, v []float32
		if len(o.M) > 0 {
			m = ch.of(o.M)
		}
		if len(o.V) > 0 {
			v = ch.of(o.V)
		}
		u.apply(ch.of(weights), ch.of(grads), m, v)
	})
	return nil
}

// update holds the constants of one Step.
type update struct {
	name                    string
	lr, eps, b1, b2, c1, c2 float32
	clip                    float32
}

// apply updates the weights w from the gradients g and the moments m and
// v (nil where the optimiser has none), clips w when u.clip > 0, and zeroes
// g. Every element is computed on its own, so that the result does not
// depend on how Step splits the work.
func (u *update) apply(w, g, m, v []float32) {
	n := len(g)
	w = w[:n]
	switch u.name {
	case "adam":
		adam(w, g, m[:n], v[:n], adamConsts{b1: u.b1, nb1: 1 - u.b1, b2: u.b2, nb2: 1 - u.b2,
			lr: u.lr, c1: u.c1, c2: u.c2, eps: u.eps})
	case "rmsprop":
		sq := m[:n]
		lr, b2, eps := u.lr, u.b2, u.eps
		for j, gj := range g {
			s := b2*sq[j] + (1-b2)*gj*gj
			sq[j] = s
			w[j] -= lr * gj / (float32(math.Sqrt(float64(s))) + eps)
		}
	case "sgd":
		for j, gj := range g {
			w[j] -= u.lr * gj
		}
	}
	if c := u.clip; c > 0 {
		for j := range w {
			w[j] = min(max(w[j], -c), c)
		}
	}
	clear(g)
}

// adamConsts holds the constants of an Adam update, laid out for the
// assembly kernels (adam_amd64.s): nb1 and nb2 are 1 − b1 and 1 − b2.
type adamConsts struct{ b1, nb1, b2, nb2, lr, c1, c2, eps float32 }

// adam updates w, m and v from g (all of one length) by Adam's rule; it is
// adamGo, or a SIMD kernel (adamSIMD names it) computing the same values.
var adam = adamGo

// adamSIMD names adam's kernel: "avx512", or "" for adamGo.
var adamSIMD = ""

// adamGo is Kingma & Ba's update, element by element. The conversions
// round every product before the sum, as the SIMD kernels do: without
// them the compiler may fuse a product and a sum (GOAMD64=v3 does).
func adamGo(w, g, m, v []float32, c adamConsts) {
	n := len(g)
	w, m, v = w[:n], m[:n], v[:n]
	for j, gj := range g {
		mj := float32(c.b1*m[j]) + float32(c.nb1*gj)
		vj := float32(c.b2*v[j]) + float32(float32(c.nb2*gj)*gj)
		m[j], v[j] = mj, vj
		w[j] -= float32(c.lr*float32(mj*c.c1)) / (float32(math.Sqrt(float64(float32(vj*c.c2)))) + c.eps)
	}
}

// finite reports whether every value of g is finite: v·0 is 0 for finite
// v and NaN for NaN and ±Inf, and NaN survives the sums.
func finite(g []float32) bool {
	var s0, s1, s2, s3 float32
	j := 0
	for ; j+4 <= len(g); j += 4 {
		s0 += g[j] * 0
		s1 += g[j+1] * 0
		s2 += g[j+2] * 0
		s3 += g[j+3] * 0
	}
	for ; j < len(g); j++ {
		s0 += g[j] * 0
	}
	s := s0 + s1 + s2 + s3
	return s == s
}

// chunkSize is the number of values one goroutine of Step updates at a
// time: large enough that starting it costs little beside its work
// (~2 ns a value for Adam), small enough to share a model's large
// parameters between the threads.
const chunkSize = 1 << 15

// chunk is the range [lo, hi) of parameter param's values.
type chunk struct{ param, lo, hi int }

// of returns the chunk's part of per-parameter slices xs.
func (c chunk) of(xs [][]float32) []float32 { return xs[c.param][c.lo:c.hi] }

// split cuts the parameters, whose sizes are those of grads, into chunks
// of at most chunkSize values.
func split(grads [][]float32) []chunk {
	var cs []chunk
	for i, g := range grads {
		for lo := 0; lo < len(g); lo += chunkSize {
			cs = append(cs, chunk{i, lo, min(len(g), lo+chunkSize)})
		}
	}
	return cs
}

// ZeroGrad clears the accumulated gradients without updating.
func (o *Optimizer) ZeroGrad() {
	for _, n := range o.nodes {
		if gv, err := n.Grad(); err == nil {
			if gt, ok := gv.(*tensor.Dense); ok {
				if g, ok := gt.Data().([]float32); ok {
					clear(g)
				}
			}
		}
	}
}

// parallel calls f(0), ..., f(n-1) on up to GOMAXPROCS goroutines.
func parallel(n int, f func(int)) {
	par.Blocks(n, 1, runtime.GOMAXPROCS(0), false, func(lo, hi, _ int) {
		for c := lo; c < hi; c++ {
			f(c)
		}
	})
}
