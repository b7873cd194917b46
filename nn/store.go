package nn

import (
	"fmt"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Store holds named parameter tensors in creation order.
type Store struct {
	dtype tensor.Dtype
	names []string
	vals  map[string]*tensor.Dense
}

// NewStore returns an empty store whose tensors have the given dtype
// (tensor.Float32 for training, tensor.Float64 for gradient checks).
func NewStore(dtype tensor.Dtype) *Store {
	return &Store{dtype: dtype, vals: map[string]*tensor.Dense{}}
}

// Dtype returns the element type of the store's tensors.
func (s *Store) Dtype() tensor.Dtype { return s.dtype }

// New creates the parameter name with the given shape, filled by init with
// fan-in and fan-out fanIn, fanOut and random numbers from rng.
func (s *Store) New(name string, shape []int, init Initializer, fanIn, fanOut int, rng *rand.Rand) (*tensor.Dense, error) {
	if name == "" {
		return nil, fmt.Errorf("nn: parameter with an empty name")
	}
	if _, dup := s.vals[name]; dup {
		return nil, fmt.Errorf("nn: parameter %q defined twice", name)
	}
	n := 1
	for _, d := range shape {
		if d <= 0 {
			return nil, fmt.Errorf("nn: parameter %q has shape %v", name, shape)
		}
		n *= d
	}
	buf := make([]float64, n)
	init(rng, fanIn, fanOut, buf)
	var t *tensor.Dense
	switch s.dtype {
	case tensor.Float32:
		f := make([]float32, n)
		for i, v := range buf {
			f[i] = float32(v)
		}
		t = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	case tensor.Float64:
		t = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(buf))
	default:
		return nil, fmt.Errorf("nn: unsupported dtype %v", s.dtype)
	}
	s.names = append(s.names, name)
	s.vals[name] = t
	return t, nil
}

// Value returns the tensor of parameter name.
func (s *Store) Value(name string) (*tensor.Dense, bool) {
	t, ok := s.vals[name]
	return t, ok
}

// Names lists the parameters in creation order.
func (s *Store) Names() []string { return append([]string(nil), s.names...) }

// Size returns the total number of scalar parameters.
func (s *Store) Size() int {
	n := 0
	for _, t := range s.vals {
		n += t.Shape().TotalSize()
	}
	return n
}

// Tensor is a named array of float32 values with its shape.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Tensors returns every parameter in creation order. For a float32 store the
// Data slices alias the parameters, so writing into them (for example when a
// checkpoint is restored) sets the parameters in place; for a float64 store
// they are copies.
func (s *Store) Tensors() []Tensor {
	out := make([]Tensor, 0, len(s.names))
	for _, name := range s.names {
		t := s.vals[name]
		var data []float32
		switch v := t.Data().(type) {
		case []float32:
			data = v
		case []float64:
			data = make([]float32, len(v))
			for i, x := range v {
				data[i] = float32(x)
			}
		}
		out = append(out, Tensor{Name: name, Shape: append([]int(nil), t.Shape()...), Data: data})
	}
	return out
}

// Load sets every parameter from ts. Every parameter must appear exactly once
// with its own shape, and ts must hold nothing else.
func (s *Store) Load(ts []Tensor) error {
	seen := map[string]bool{}
	for _, src := range ts {
		t, ok := s.vals[src.Name]
		if !ok {
			return fmt.Errorf("nn: unknown parameter %q", src.Name)
		}
		if seen[src.Name] {
			return fmt.Errorf("nn: parameter %q given twice", src.Name)
		}
		seen[src.Name] = true
		if !tensor.Shape(src.Shape).Eq(t.Shape()) || len(src.Data) != t.Shape().TotalSize() {
			return fmt.Errorf("nn: parameter %q has shape %v, want %v", src.Name, src.Shape, []int(t.Shape()))
		}
		switch dst := t.Data().(type) {
		case []float32:
			copy(dst, src.Data)
		case []float64:
			for i, v := range src.Data {
				dst[i] = float64(v)
			}
		}
	}
	for _, name := range s.names {
		if !seen[name] {
			return fmt.Errorf("nn: parameter %q missing", name)
		}
	}
	return nil
}
