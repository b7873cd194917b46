// Package gradcheck compares the gradients that Gorgonia computes with
// central finite differences, for tests of layers, losses and custom ops.
package gradcheck

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Result is the worst disagreement found by Check.
type Result struct {
	// MaxErr is the largest |analytic − numeric| / (Atol + Rtol·max(|analytic|, |numeric|)).
	// A check passes when MaxErr <= 1.
	MaxErr float64
	// Where names the node and element with the largest error.
	Where string
	// Checked is the number of elements compared.
	Checked int
}

// Options set the finite-difference step and the tolerances.
type Options struct {
	H, Atol, Rtol float64
	// MaxPerNode limits how many elements of each node are perturbed (0 = all);
	// elements are taken at an even stride.
	MaxPerNode int
}

// Check differentiates the scalar loss of graph g with respect to every node
// of wrt (whose values must be float64 *tensor.Dense, e.g. parameters or
// inputs bound by value) and compares each partial derivative with the central
// difference (L(v+h) − L(v−h)) / 2h.
func Check(g *G.ExprGraph, loss *G.Node, wrt G.Nodes, o Options) (Result, error) {
	if o.H == 0 {
		o.H = 1e-6
	}
	if o.Atol == 0 {
		o.Atol = 1e-7
	}
	if o.Rtol == 0 {
		o.Rtol = 1e-5
	}
	if _, err := G.Grad(loss, wrt...); err != nil {
		return Result{}, fmt.Errorf("grad: %w", err)
	}
	m := G.NewTapeMachine(g, G.BindDualValues(wrt...))
	defer m.Close()
	run := func() (float64, error) {
		m.Reset()
		if err := m.RunAll(); err != nil {
			return 0, err
		}
		return scalar(loss.Value())
	}
	if _, err := run(); err != nil {
		return Result{}, fmt.Errorf("forward: %w", err)
	}
	analytic := make([][]float64, len(wrt))
	for i, n := range wrt {
		gv, err := n.Grad()
		if err != nil {
			return Result{}, fmt.Errorf("gradient of %s: %w", n.Name(), err)
		}
		gd, ok := gv.Data().([]float64)
		if !ok {
			if s, err := scalar(gv); err == nil {
				gd = []float64{s}
			} else {
				return Result{}, fmt.Errorf("gradient of %s is not float64", n.Name())
			}
		}
		analytic[i] = append([]float64(nil), gd...)
	}
	var res Result
	for i, n := range wrt {
		t, ok := n.Value().(*tensor.Dense)
		if !ok {
			return res, fmt.Errorf("%s is not bound to a tensor", n.Name())
		}
		data, ok := t.Data().([]float64)
		if !ok {
			return res, fmt.Errorf("%s is not float64", n.Name())
		}
		stride := 1
		if o.MaxPerNode > 0 && len(data) > o.MaxPerNode {
			stride = (len(data) + o.MaxPerNode - 1) / o.MaxPerNode
		}
		for j := 0; j < len(data); j += stride {
			orig := data[j]
			data[j] = orig + o.H
			lp, err := run()
			if err != nil {
				return res, err
			}
			data[j] = orig - o.H
			lm, err := run()
			data[j] = orig
			if err != nil {
				return res, err
			}
			num := (lp - lm) / (2 * o.H)
			a := analytic[i][j]
			e := math.Abs(a-num) / (o.Atol + o.Rtol*math.Max(math.Abs(a), math.Abs(num)))
			if math.IsNaN(e) {
				e = math.Inf(1)
			}
			res.Checked++
			if e > res.MaxErr || res.Where == "" {
				if e > res.MaxErr {
					res.MaxErr = e
				}
				res.Where = fmt.Sprintf("%s[%d]: analytic %.10g, numeric %.10g", n.Name(), j, a, num)
			}
		}
	}
	return res, nil
}

func scalar(v G.Value) (float64, error) {
	switch x := v.(type) {
	case *G.F64:
		return float64(*x), nil
	case *G.F32:
		return float64(*x), nil
	case *tensor.Dense:
		if x.Shape().TotalSize() == 1 {
			switch d := x.Data().(type) {
			case []float64:
				return d[0], nil
			case []float32:
				return float64(d[0]), nil
			case float64:
				return d, nil
			case float32:
				return float64(d), nil
			}
		}
	}
	return 0, fmt.Errorf("value %v is not a scalar", v)
}
