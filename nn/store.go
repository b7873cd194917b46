package nn

import (
	"fmt"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Store holds named tensors in creation order: trainable parameters, and
// buffers (non-trainable state such as the running statistics of
// BatchNorm). Both are saved and loaded by name; only parameters are bound
// into graphs by Graph.Param, so optimisers never see buffers.
type Store struct {
	dtype   tensor.Dtype
	names   []string // parameters and buffers, in creation order
	vals    map[string]*tensor.Dense
	buffers map[string]bool
}

// NewStore returns an empty store whose tensors have the given dtype
// (tensor.Float32 for training, tensor.Float64 for gradient checks).
func NewStore(dtype tensor.Dtype) *Store {
	return &Store{dtype: dtype, vals: map[string]*tensor.Dense{}, buffers: map[string]bool{}}
}

// Dtype returns the element type of the store's tensors.
func (s *Store) Dtype() tensor.Dtype { return s.dtype }

// New creates the parameter name with the given shape, filled by init with
// fan-in and fan-out fanIn, fanOut and random numbers from rng.
func (s *Store) New(name string, shape []int, init Initializer, fanIn, fanOut int, rng *rand.Rand) (*tensor.Dense, error) {
	n, err := s.checkNew("parameter", name, shape)
	if err != nil {
		return nil, err
	}
	buf := make([]float64, n)
	init(rng, fanIn, fanOut, buf)
	return s.add(name, shape, buf)
}

// NewBuffer creates the buffer name, a non-trainable tensor of the given
// shape filled with value. A buffer is saved and loaded with the parameters
// (Tensors, Load) but is not listed by Names and cannot be bound by
// Graph.Param, so no optimiser updates it; the layer that owns it does.
func (s *Store) NewBuffer(name string, shape []int, value float64) (*tensor.Dense, error) {
	n, err := s.checkNew("buffer", name, shape)
	if err != nil {
		return nil, err
	}
	buf := make([]float64, n)
	for i := range buf {
		buf[i] = value
	}
	t, err := s.add(name, shape, buf)
	if err != nil {
		return nil, err
	}
	s.buffers[name] = true
	return t, nil
}

// checkNew validates the name and shape of a new tensor and returns its size.
func (s *Store) checkNew(kind, name string, shape []int) (int, error) {
	if name == "" {
		return 0, fmt.Errorf("nn: %s with an empty name", kind)
	}
	if _, dup := s.vals[name]; dup {
		return 0, fmt.Errorf("nn: %s %q defined twice", kind, name)
	}
	n := 1
	for _, d := range shape {
		if d <= 0 {
			return 0, fmt.Errorf("nn: %s %q has shape %v", kind, name, shape)
		}
		n *= d
	}
	return n, nil
}

// add stores buf, converted to the store's dtype, under name.
func (s *Store) add(name string, shape []int, buf []float64) (*tensor.Dense, error) {
	n := len(buf)
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

// Value returns the tensor of parameter or buffer name.
func (s *Store) Value(name string) (*tensor.Dense, bool) {
	t, ok := s.vals[name]
	return t, ok
}

// IsBuffer reports whether name is a buffer (see NewBuffer).
func (s *Store) IsBuffer(name string) bool { return s.buffers[name] }

// Names lists the trainable parameters in creation order (not the buffers).
func (s *Store) Names() []string { return s.list(false) }

// Buffers lists the buffers in creation order.
func (s *Store) Buffers() []string { return s.list(true) }

func (s *Store) list(buffers bool) []string {
	var out []string
	for _, name := range s.names {
		if s.buffers[name] == buffers {
			out = append(out, name)
		}
	}
	return out
}

// Size returns the total number of scalar parameters (buffers excluded).
func (s *Store) Size() int {
	n := 0
	for name, t := range s.vals {
		if !s.buffers[name] {
			n += t.Shape().TotalSize()
		}
	}
	return n
}

// Tensor is a named array of float32 values with its shape.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
	// Buffer is set for a non-trainable buffer (see Store.NewBuffer).
	Buffer bool
}

// Tensors returns every parameter and buffer in creation order. For a
// float32 store the Data slices alias the tensors, so writing into them
// (for example when a checkpoint is restored) sets them in place; for a
// float64 store they are copies.
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
		out = append(out, Tensor{Name: name, Shape: append([]int(nil), t.Shape()...), Data: data, Buffer: s.buffers[name]})
	}
	return out
}

// Load sets every parameter and buffer from ts. Every one must appear
// exactly once with its own shape, and ts must hold nothing else; the store
// is left unchanged when ts is not valid.
func (s *Store) Load(ts []Tensor) error {
	seen := map[string]bool{}
	for _, src := range ts {
		t, ok := s.vals[src.Name]
		if !ok {
			return fmt.Errorf("nn: unknown parameter %q", src.Name)
		}
		if seen[src.Name] {
			return fmt.Errorf("nn: %s %q given twice", s.kind(src.Name), src.Name)
		}
		seen[src.Name] = true
		if !tensor.Shape(src.Shape).Eq(t.Shape()) || len(src.Data) != t.Shape().TotalSize() {
			return fmt.Errorf("nn: %s %q has shape %v, want %v", s.kind(src.Name), src.Name, src.Shape, []int(t.Shape()))
		}
	}
	for _, name := range s.names {
		if !seen[name] {
			return fmt.Errorf("nn: %s %q missing", s.kind(name), name)
		}
	}
	for _, src := range ts {
		switch dst := s.vals[src.Name].Data().(type) {
		case []float32:
			copy(dst, src.Data)
		case []float64:
			for i, v := range src.Data {
				dst[i] = float64(v)
			}
		}
	}
	return nil
}

// kind names what name is, for error messages.
func (s *Store) kind(name string) string {
	if s.buffers[name] {
		return "buffer"
	}
	return "parameter"
}
