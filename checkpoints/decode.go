package checkpoints

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"unicode/utf8"
)

// Decode parses and fully validates a checkpoint held in data. Errors wrap
// [ErrCorrupt] or [ErrVersion] and say what is wrong. The returned File does
// not alias data.
func Decode(data []byte) (*File, error) {
	f, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	return f, nil
}

// Read reads and fully validates the checkpoint file at path, as [Decode]
// does. Every error names the path.
func Read(path string) (*File, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: read: %w", err)
	}
	f, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %s: %w", path, err)
	}
	f.Path = path
	return f, nil
}

// readFile is os.ReadFile restricted to regular files, so that a device or
// a pipe given by mistake cannot make Read block or read without end.
// Its errors name the path.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a checkpoint file", path)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	data := make([]byte, 0, st.Size()+1) // +1 to see EOF without growing
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
		if len(data) == cap(data) { // the file grew while we read it
			data = append(data, 0)[:len(data)]
		}
	}
}

func corrupt(format string, args ...any) error { return errorf(ErrCorrupt, format, args...) }

// decode does the work of Decode; its errors carry no "checkpoints:" prefix.
func decode(data []byte) (*File, error) {
	// Fixed part: magic, version, header length.
	n := len(data)
	if m := min(n, len(magic)); !bytes.Equal(data[:m], []byte(magic[:m])) {
		return nil, corrupt("wrong magic: not an otgen checkpoint")
	}
	if n < len(magic)+4 {
		return nil, corrupt("truncated: %d bytes, a checkpoint has at least %d", n, minLen)
	}
	if v := binary.LittleEndian.Uint32(data[len(magic):]); v != Version {
		return nil, errorf(ErrVersion, "format version %d, this package reads version %d", v, Version)
	}
	if n < minLen {
		return nil, corrupt("truncated: %d bytes, a checkpoint has at least %d", n, minLen)
	}
	hlen := binary.LittleEndian.Uint64(data[len(magic)+4:])
	avail := uint64(n - minLen) // bytes for header and data
	if hlen > avail {
		return nil, corrupt("truncated: header length %d exceeds the %d bytes present after the fixed part", hlen, avail)
	}

	// Checksum, before trusting any byte of the header or data.
	body, sum := data[:n-sumLen], data[n-sumLen:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, corrupt("checksum mismatch: the file is truncated or altered")
	}

	hdr := data[prefixLen : prefixLen+int(hlen)]
	payload := data[prefixLen+int(hlen) : n-sumLen]
	meta, specs, err := parseHeader(hdr)
	if err != nil {
		return nil, err
	}

	// Shapes: count values, bounded by the bytes present so that a header
	// claiming huge tensors cannot make us allocate.
	limit := len(payload) / 4
	counts := make([]int, len(specs))
	total := 0
	seen := make(map[string]bool, len(specs))
	for i, s := range specs {
		switch {
		case s.Name == "":
			return nil, corrupt("header: tensor %d: empty name", i)
		case seen[s.Name]:
			return nil, corrupt("header: duplicate tensor name %q", s.Name)
		}
		seen[s.Name] = true
		for _, d := range s.Shape {
			if d < 0 {
				return nil, corrupt("header: tensor %q: negative dimension in shape %s", s.Name, shapeString(s.Shape))
			}
		}
		c, ok := numValues(s.Shape, limit-total)
		if !ok {
			return nil, corrupt("truncated data: tensor %q with shape %s needs more values than the %d bytes of data hold",
				s.Name, shapeString(s.Shape), len(payload))
		}
		counts[i] = c
		total += c
	}
	switch want := uint64(total) * 4; {
	case uint64(len(payload)) < want:
		return nil, corrupt("truncated data: the shapes need %d bytes, %d present", want, len(payload))
	case uint64(len(payload)) > want:
		return nil, corrupt("%d trailing bytes after the tensor data", uint64(len(payload))-want)
	}

	// Data: one allocation, cut into non-overlapping slices.
	values := make([]float32, total)
	for i := range values {
		values[i] = math.Float32frombits(binary.LittleEndian.Uint32(payload[4*i:]))
	}
	f := &File{Meta: meta, Tensors: make([]Tensor, len(specs))}
	off := 0
	for i, s := range specs {
		d := values[off : off+counts[i] : off+counts[i]]
		for j, v := range d {
			if !finite(v) {
				return nil, corrupt("tensor %q: value %d is %v", s.Name, j, v)
			}
		}
		f.Tensors[i] = Tensor{Name: s.Name, Shape: s.Shape, Data: d}
		off += counts[i]
	}
	return f, nil
}

// parseHeader parses the header JSON strictly: one object with exactly the
// keys "meta" and "tensors", each tensor an object with exactly "name" (a
// string) and "shape" (an array of integers); no duplicate keys, nothing
// after the object.
func parseHeader(hdr []byte) (json.RawMessage, []headerTensor, error) {
	if !utf8.Valid(hdr) {
		return nil, nil, corrupt("header: not valid UTF-8")
	}
	top, err := strictObject(hdr, "meta", "tensors")
	if err != nil {
		return nil, nil, corrupt("header: %v", err)
	}
	var items []json.RawMessage
	if !isArray(top["tensors"]) {
		return nil, nil, corrupt("header: \"tensors\" is not an array")
	}
	if err := json.Unmarshal(top["tensors"], &items); err != nil {
		return nil, nil, corrupt("header: tensors: %v", err)
	}
	specs := make([]headerTensor, len(items))
	for i, item := range items {
		obj, err := strictObject(item, "name", "shape")
		if err != nil {
			return nil, nil, corrupt("header: tensor %d: %v", i, err)
		}
		if len(obj["name"]) == 0 || obj["name"][0] != '"' {
			return nil, nil, corrupt("header: tensor %d: \"name\" is not a string", i)
		}
		if err := json.Unmarshal(obj["name"], &specs[i].Name); err != nil {
			return nil, nil, corrupt("header: tensor %d: name: %v", i, err)
		}
		if !isArray(obj["shape"]) {
			return nil, nil, corrupt("header: tensor %q: \"shape\" is not an array", specs[i].Name)
		}
		shape := []int{}
		if err := json.Unmarshal(obj["shape"], &shape); err != nil {
			return nil, nil, corrupt("header: tensor %q: shape: %v", specs[i].Name, err)
		}
		specs[i].Shape = shape
	}
	meta := append(json.RawMessage(nil), top["meta"]...)
	return meta, specs, nil
}

func isArray(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '[' }

// strictObject decodes one JSON object whose keys must be exactly keys, each
// once, and returns the raw value of each key. Nothing but white space may
// follow the object.
func strictObject(data []byte, keys ...string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("not a JSON object")
	}
	out := make(map[string]json.RawMessage, len(keys))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("bad object key")
		}
		known := false
		for _, k := range keys {
			known = known || k == key
		}
		if !known {
			return nil, fmt.Errorf("unknown key %q", key)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("key %q: %v", key, err)
		}
		out[key] = raw
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the JSON object")
	}
	for _, k := range keys {
		if _, ok := out[k]; !ok {
			return nil, fmt.Errorf("missing key %q", k)
		}
	}
	return out, nil
}
