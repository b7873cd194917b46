package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// denseInputs returns the inputs of op's Do as contiguous dense tensors of
// dtype dt (views are materialised). want, if not nil, says whether input
// i's shape is acceptable; an input that is not dense, of another dtype or
// refused is an error naming op and the input.
func denseInputs(op fmt.Stringer, dt tensor.Dtype, vals []G.Value, want func(i int, s tensor.Shape) bool) ([]*tensor.Dense, error) {
	ts := make([]*tensor.Dense, len(vals))
	for i, v := range vals {
		t, ok := v.(*tensor.Dense)
		if !ok || t.Dtype() != dt || (want != nil && !want(i, t.Shape())) {
			return nil, fmt.Errorf("nn: %s: input %d is %T %v, want %v", op, i, v, v.Shape(), dt)
		}
		if t.IsView() {
			t = t.Materialize().(*tensor.Dense)
		}
		ts[i] = t
	}
	return ts, nil
}

// keptOutput returns the output buffer an op keeps across runs (*buf),
// allocating it on first use with the given shape and dtype, and giving it
// that shape again if a downstream op reshaped the shared buffer in place.
func keptOutput(op fmt.Stringer, buf **tensor.Dense, dt tensor.Dtype, shape tensor.Shape) (*tensor.Dense, error) {
	if *buf == nil {
		*buf = tensor.New(tensor.Of(dt), tensor.WithShape(shape.Clone()...))
	} else if !(*buf).Shape().Eq(shape) {
		if err := (*buf).Reshape(shape.Clone()...); err != nil {
			return nil, fmt.Errorf("nn: %s: %w", op, err)
		}
	}
	return *buf, nil
}

// data32 returns the float32 data of each tensor of ts.
func data32(ts []*tensor.Dense) [][]float32 {
	out := make([][]float32, len(ts))
	for i, t := range ts {
		out[i] = t.Data().([]float32)
	}
	return out
}

// data64 returns the float64 data of each tensor of ts.
func data64(ts []*tensor.Dense) [][]float64 {
	out := make([][]float64, len(ts))
	for i, t := range ts {
		out[i] = t.Data().([]float64)
	}
	return out
}

// keptDo is the body of the Do of an op that writes its result into a
// kept buffer: it checks the number of inputs and, through denseInputs,
// their dtype and shapes (want), takes the buffer *buf with the result's
// shape, and runs the kernel of the dtype, k32 or k64, on the result's and
// the inputs' data.
func keptDo(op fmt.Stringer, buf **tensor.Dense, dt tensor.Dtype, shape tensor.Shape, vals []G.Value, arity int,
	want func(i int, s tensor.Shape) bool, k32 func(dst []float32, in [][]float32), k64 func(dst []float64, in [][]float64)) (G.Value, error) {
	if len(vals) != arity {
		return nil, fmt.Errorf("nn: %s: %d inputs, want %d", op, len(vals), arity)
	}
	ts, err := denseInputs(op, dt, vals, want)
	if err != nil {
		return nil, err
	}
	out, err := keptOutput(op, buf, dt, shape)
	if err != nil {
		return nil, err
	}
	switch dst := out.Data().(type) {
	case []float32:
		k32(dst, data32(ts))
	case []float64:
		k64(dst, data64(ts))
	default:
		return nil, fmt.Errorf("nn: %s: unsupported %v", op, dt)
	}
	return out, nil
}

// sameShape accepts inputs of shape s.
func sameShape(s tensor.Shape) func(int, tensor.Shape) bool {
	return func(_ int, t tensor.Shape) bool { return t.Eq(s) }
}

// applyChecked applies op to the inputs after checking that every input
// after the first has shape want(i) and dtype dt, in a one-line error
// naming op.
func applyChecked(op G.Op, dt tensor.Dtype, want func(i int) tensor.Shape, in ...*G.Node) (*G.Node, error) {
	for i, x := range in[1:] {
		if w := want(i + 1); !x.Shape().Eq(w) || x.Dtype() != dt {
			return nil, fmt.Errorf("nn: %s: input %v %v, want %v %v", op, x.Shape(), x.Dtype(), w, dt)
		}
	}
	n, err := G.ApplyOp(op, in...)
	if err != nil {
		return nil, fmt.Errorf("nn: %s: %w", op, err)
	}
	return n, nil
}
