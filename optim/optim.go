// Package optim holds the optimisers that update a model's float32
// parameters from the gradients a Gorgonia tape machine bound to their
// nodes: Adam (Kingma & Ba 2015, Algorithm 1), RMSProp and SGD. The
// training loop (train) and the classifiers (classifier) use it, and its
// exported state (moments, step count) is what checkpoints store.
package optim

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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
	for i, n := range o.nodes {
		gv, err := n.Grad()
		if err != nil {
			return fmt.Errorf("optim: gradient of %s: %w", o.names[i], err)
		}
		gt, ok := gv.(*tensor.Dense)
		if !ok {
			return fmt.Errorf("optim: gradient of %s is %T", o.names[i], gv)
		}
		g := gt.Data().([]float32)
		for _, v := range g {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("optim: gradient of %s is not finite (%v)", o.names[i], v)
			}
		}
		grads[i] = g
	}
	o.T++
	lr := float32(o.LR)
	eps := float32(o.Eps)
	var c1, c2 float32
	if o.Name == "adam" {
		// Bias corrections of Kingma & Ba 2015, Algorithm 1.
		c1 = float32(1 / (1 - math.Pow(o.Beta1, float64(o.T))))
		c2 = float32(1 / (1 - math.Pow(o.Beta2, float64(o.T))))
	}
	b1, b2 := float32(o.Beta1), float32(o.Beta2)
	for i, n := range o.nodes {
		w := n.Value().(*tensor.Dense).Data().([]float32)
		g := grads[i]
		switch o.Name {
		case "adam":
			m, v := o.M[i], o.V[i]
			for j, gj := range g {
				m[j] = b1*m[j] + (1-b1)*gj
				v[j] = b2*v[j] + (1-b2)*gj*gj
				w[j] -= lr * (m[j] * c1) / (float32(math.Sqrt(float64(v[j]*c2))) + eps)
			}
		case "rmsprop":
			sq := o.M[i]
			for j, gj := range g {
				sq[j] = b2*sq[j] + (1-b2)*gj*gj
				w[j] -= lr * gj / (float32(math.Sqrt(float64(sq[j]))) + eps)
			}
		case "sgd":
			for j, gj := range g {
				w[j] -= lr * gj
			}
		}
		if o.Clip > 0 {
			c := float32(o.Clip)
			for j := range w {
				w[j] = min(max(w[j], -c), c)
			}
		}
		clear(g)
	}
	return nil
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
