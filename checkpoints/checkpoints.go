package checkpoints

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
)

// Version is the format version this package writes and the only one it reads.
const Version = 1

// magic opens every checkpoint file.
const magic = "OTGEN-CKPT"

// Sizes of the fixed parts of the format.
const (
	prefixLen = len(magic) + 4 + 8 // magic, version, header length
	sumLen    = sha256.Size
	minLen    = prefixLen + sumLen
)

// Errors reported by this package. Test for them with [errors.Is]; the
// messages of the errors returned say more (which file, which tensor, what).
var (
	// ErrCorrupt means a file is not a valid checkpoint: truncated, altered,
	// wrong magic, bad header, bad shapes or values, or trailing bytes.
	ErrCorrupt = errors.New("checkpoints: corrupt checkpoint")
	// ErrVersion means a file declares a format version other than [Version].
	ErrVersion = errors.New("checkpoints: unsupported checkpoint version")
	// ErrInvalid means the caller's input cannot be checkpointed (or
	// restored into): empty or duplicate names, invalid UTF-8, negative
	// dimensions, data not matching its shape, non-finite values, a meta
	// value that is not valid JSON, or a path that names no file.
	ErrInvalid = errors.New("checkpoints: invalid input")
	// ErrMismatch means the tensors of a file and the tensors a caller
	// restores into differ in names or shapes.
	ErrMismatch = errors.New("checkpoints: tensors do not match")
)

// kindError is an error whose message is msg and which wraps kind (one of
// the Err* variables) so that errors.Is works without repeating kind's text.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Tensor is a named float32 array stored row-major. A nil or empty Shape is
// a scalar holding one value; a zero dimension means no values.
type Tensor struct {
	// Name identifies the tensor in a file; non-empty, valid UTF-8, unique.
	Name string
	// Shape lists the dimensions, each non-negative.
	Shape []int
	// Data holds product(Shape) values, row-major.
	Data []float32
}

// File is a decoded checkpoint.
type File struct {
	// Path is the file the checkpoint was read from; empty after [Decode].
	Path string
	// Meta is the caller's JSON value stored in the header, as found there.
	Meta json.RawMessage
	// Tensors are the tensors of the file, in file order. Their Data slices
	// do not overlap.
	Tensors []Tensor
}

// Tensor returns the tensor of f called name, and whether there is one.
// The returned pointer points into f.Tensors.
func (f *File) Tensor(name string) (*Tensor, bool) {
	for i := range f.Tensors {
		if f.Tensors[i].Name == name {
			return &f.Tensors[i], true
		}
	}
	return nil, false
}

// Restore copies the data of the tensors of f into targets, matching them by
// name. Every target must have a tensor of the same name and shape in f and
// every tensor of f must have a target. Otherwise Restore copies nothing and
// returns one error wrapping [ErrMismatch] that lists every difference
// (missing in the file, not among the targets, shape mismatch), naming the
// file and the tensors. Targets with empty or duplicate names or with Data not
// matching their Shape give an error wrapping [ErrInvalid], also before any
// copy.
func (f *File) Restore(targets []Tensor) error {
	src := "checkpoint"
	if f.Path != "" {
		src = f.Path
	}
	if err := validateTensors(targets, false); err != nil {
		return fmt.Errorf("checkpoints: restore from %s: targets: %w", src, err)
	}
	byName := make(map[string]int, len(f.Tensors))
	for i, t := range f.Tensors {
		byName[t.Name] = i
	}
	var diffs []string
	matched := make([]bool, len(f.Tensors))
	for _, dst := range targets {
		i, ok := byName[dst.Name]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%q %v missing in file", dst.Name, shapeString(dst.Shape)))
			continue
		}
		matched[i] = true
		s := f.Tensors[i]
		switch {
		case !sameShape(s.Shape, dst.Shape):
			diffs = append(diffs, fmt.Sprintf("%q shape %s in file, %s in target",
				dst.Name, shapeString(s.Shape), shapeString(dst.Shape)))
		case len(s.Data) != len(dst.Data):
			diffs = append(diffs, fmt.Sprintf("%q has %d values in file, %d in target",
				dst.Name, len(s.Data), len(dst.Data)))
		}
	}
	for i, t := range f.Tensors {
		if !matched[i] {
			diffs = append(diffs, fmt.Sprintf("%q %s in file is not among the targets", t.Name, shapeString(t.Shape)))
		}
	}
	if len(diffs) > 0 {
		noun := "differences"
		if len(diffs) == 1 {
			noun = "difference"
		}
		return errorf(ErrMismatch, "checkpoints: restore from %s: %d %s: %s",
			src, len(diffs), noun, strings.Join(diffs, "; "))
	}
	for _, dst := range targets {
		copy(dst.Data, f.Tensors[byName[dst.Name]].Data)
	}
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func shapeString(shape []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range shape {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, d)
	}
	b.WriteByte(']')
	return b.String()
}

// numValues returns product(shape), or ok=false if a dimension is negative
// or the product exceeds limit (limit >= 0). It never overflows.
func numValues(shape []int, limit int) (n int, ok bool) {
	n = 1
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
	}
	for _, d := range shape {
		if d == 0 {
			return 0, true
		}
	}
	for _, d := range shape {
		if n > limit/d {
			return 0, false
		}
		n *= d
	}
	if n > limit {
		return 0, false // a scalar with limit 0
	}
	return n, true
}

// finite reports whether v is neither NaN nor ±Inf (exponent bits not all set).
func finite(v float32) bool { return math.Float32bits(v)&0x7f800000 != 0x7f800000 }

// validateTensors checks names, shapes and data lengths, and, if checkFinite
// is set, that every value is finite. Errors wrap ErrInvalid.
func validateTensors(tensors []Tensor, checkFinite bool) error {
	seen := make(map[string]bool, len(tensors))
	for i, t := range tensors {
		switch {
		case t.Name == "":
			return errorf(ErrInvalid, "tensor %d: empty name", i)
		case !utf8.ValidString(t.Name):
			return errorf(ErrInvalid, "tensor %d: name %q is not valid UTF-8", i, t.Name)
		case seen[t.Name]:
			return errorf(ErrInvalid, "tensor %q: duplicate name", t.Name)
		}
		seen[t.Name] = true
		n, ok := numValues(t.Shape, math.MaxInt)
		if !ok {
			return errorf(ErrInvalid, "tensor %q: bad shape %s (negative or too large)", t.Name, shapeString(t.Shape))
		}
		if n != len(t.Data) {
			return errorf(ErrInvalid, "tensor %q: shape %s needs %d values, data has %d",
				t.Name, shapeString(t.Shape), n, len(t.Data))
		}
		if checkFinite {
			for j, v := range t.Data {
				if !finite(v) {
					return errorf(ErrInvalid, "tensor %q: value %d is %v (only finite values can be checkpointed)", t.Name, j, v)
				}
			}
		}
	}
	return nil
}

// header is the JSON header as written.
type header struct {
	Meta    json.RawMessage `json:"meta"`
	Tensors []headerTensor  `json:"tensors"`
}

type headerTensor struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// prepare validates meta and tensors and returns the header JSON. Errors
// wrap ErrInvalid.
func prepare(meta any, tensors []Tensor) ([]byte, error) {
	if err := validateTensors(tensors, true); err != nil {
		return nil, err
	}
	var raw json.RawMessage
	switch m := meta.(type) {
	case json.RawMessage:
		if m == nil {
			raw = json.RawMessage("null")
		} else if !json.Valid(m) {
			return nil, errorf(ErrInvalid, "meta: not valid JSON")
		} else {
			raw = m
		}
	default:
		b, err := json.Marshal(meta)
		if err != nil {
			return nil, &kindError{kind: ErrInvalid, msg: "meta: " + err.Error()}
		}
		raw = b
	}
	h := header{Meta: raw, Tensors: make([]headerTensor, len(tensors))}
	for i, t := range tensors {
		shape := t.Shape
		if shape == nil {
			shape = []int{} // "[]", not "null"
		}
		h.Tensors[i] = headerTensor{Name: t.Name, Shape: shape}
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, &kindError{kind: ErrInvalid, msg: "header: " + err.Error()}
	}
	return b, nil
}

// Encode writes a checkpoint holding meta and tensors to w. A meta of type
// [json.RawMessage] is stored as is (it must be valid JSON); any other value
// is marshalled with encoding/json. Invalid input (see [ErrInvalid]) is
// refused before anything is written to w.
func Encode(w io.Writer, meta any, tensors []Tensor) error {
	hdr, err := prepare(meta, tensors)
	if err != nil {
		return fmt.Errorf("checkpoints: encode: %w", err)
	}
	if err := encode(w, hdr, tensors); err != nil {
		return fmt.Errorf("checkpoints: encode: %w", err)
	}
	return nil
}

// encode writes an already validated checkpoint.
func encode(w io.Writer, hdr []byte, tensors []Tensor) error {
	h := sha256.New()
	mw := io.MultiWriter(w, h)
	var fixed [prefixLen]byte
	copy(fixed[:], magic)
	binary.LittleEndian.PutUint32(fixed[len(magic):], Version)
	binary.LittleEndian.PutUint64(fixed[len(magic)+4:], uint64(len(hdr)))
	if _, err := mw.Write(fixed[:]); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if _, err := mw.Write(hdr); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	buf := make([]byte, 0, 1<<16)
	for _, t := range tensors {
		for _, v := range t.Data {
			if len(buf) == cap(buf) {
				if _, err := mw.Write(buf); err != nil {
					return fmt.Errorf("write tensor %q: %w", t.Name, err)
				}
				buf = buf[:0]
			}
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
	}
	if _, err := mw.Write(buf); err != nil {
		return fmt.Errorf("write data: %w", err)
	}
	if _, err := w.Write(h.Sum(nil)); err != nil {
		return fmt.Errorf("write checksum: %w", err)
	}
	return nil
}
