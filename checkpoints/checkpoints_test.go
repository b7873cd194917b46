package checkpoints

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// sampleTensors covers an ordinary matrix, a scalar with a nil and one with
// an empty shape, a zero-size dimension and awkward float values.
func sampleTensors() []Tensor {
	return []Tensor{
		{Name: "enc/w", Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, 0, float32(math.Copysign(0, -1)), 1e-45}},
		{Name: "step scalar", Shape: nil, Data: []float32{42}},
		{Name: "lr", Shape: []int{}, Data: []float32{math.MaxFloat32}},
		{Name: "empty", Shape: []int{3, 0, 2}, Data: []float32{}},
		{Name: "bias ünïcode <&>", Shape: []int{4}, Data: []float32{-math.MaxFloat32, 0.1, 0.2, 0.3}},
	}
}

type sampleMeta struct {
	Model string  `json:"model"`
	Step  int     `json:"step"`
	Seeds []int64 `json:"seeds"`
	Loss  float64 `json:"loss"`
}

func encodeSample(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	meta := sampleMeta{Model: "mlp", Step: 1200, Seeds: []int64{1, -7}, Loss: 0.25}
	if err := Encode(&b, meta, sampleTensors()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// seal builds a file from its parts and appends a correct checksum, so that
// tests reach the checks behind the checksum.
func seal(version uint32, hdr string, payload []byte) []byte {
	b := []byte(magic)
	b = binary.LittleEndian.AppendUint32(b, version)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(hdr)))
	b = append(b, hdr...)
	b = append(b, payload...)
	return reseal(b)
}

// reseal appends the SHA-256 of body to body.
func reseal(body []byte) []byte {
	sum := sha256.Sum256(body)
	return append(body[:len(body):len(body)], sum[:]...)
}

func le(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func sameTensors(t *testing.T, got, want []Tensor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d tensors, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || !sameShape(g.Shape, w.Shape) && !(len(g.Shape) == 0 && len(w.Shape) == 0) {
			t.Errorf("tensor %d: got %q %v, want %q %v", i, g.Name, g.Shape, w.Name, w.Shape)
			continue
		}
		if len(g.Data) != len(w.Data) {
			t.Errorf("tensor %q: got %d values, want %d", w.Name, len(g.Data), len(w.Data))
			continue
		}
		for j := range w.Data {
			if math.Float32bits(g.Data[j]) != math.Float32bits(w.Data[j]) {
				t.Errorf("tensor %q value %d: got %v, want %v (bitwise)", w.Name, j, g.Data[j], w.Data[j])
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	data := encodeSample(t)
	f, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, f.Tensors, sampleTensors())
	var meta sampleMeta
	if err := json.Unmarshal(f.Meta, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Model != "mlp" || meta.Step != 1200 || len(meta.Seeds) != 2 || meta.Seeds[1] != -7 || meta.Loss != 0.25 {
		t.Errorf("meta = %+v", meta)
	}
	if f.Path != "" {
		t.Errorf("Path = %q after Decode, want empty", f.Path)
	}
	for _, tt := range f.Tensors {
		if tt.Shape == nil {
			t.Errorf("tensor %q: nil shape after decode, want []int{}", tt.Name)
		}
	}

	// The result does not alias the input, and tensors do not share capacity.
	for i := range data {
		data[i] = 0
	}
	w, ok := f.Tensor("enc/w")
	if !ok || w.Data[0] != 1 {
		t.Fatalf("Tensor(enc/w) = %v, %v after clearing the input", w, ok)
	}
	_ = append(w.Data, 99)
	if s, _ := f.Tensor("step scalar"); s.Data[0] != 42 {
		t.Errorf("appending to one tensor changed the next: %v", s.Data)
	}
	if _, ok := f.Tensor("nope"); ok {
		t.Error("Tensor(nope) found something")
	}
}

func TestEncodeDeterministic(t *testing.T) {
	a, b := encodeSample(t), encodeSample(t)
	if !bytes.Equal(a, b) {
		t.Error("two encodings of the same checkpoint differ")
	}
}

func TestEncodeMeta(t *testing.T) {
	cases := []struct {
		meta any
		want string
	}{
		{nil, "null"},
		{json.RawMessage(nil), "null"},
		{json.RawMessage(`{"a": [1, 2]}`), `{"a":[1,2]}`},
		{json.RawMessage(`"x"`), `"x"`},
		{3, "3"},
		{map[string]string{"k": "v"}, `{"k":"v"}`},
	}
	for _, c := range cases {
		var b bytes.Buffer
		if err := Encode(&b, c.meta, nil); err != nil {
			t.Errorf("Encode(%#v): %v", c.meta, err)
			continue
		}
		f, err := Decode(b.Bytes())
		if err != nil {
			t.Errorf("Decode of meta %#v: %v", c.meta, err)
			continue
		}
		if string(f.Meta) != c.want || len(f.Tensors) != 0 {
			t.Errorf("meta %#v: got %s and %d tensors, want %s and none", c.meta, f.Meta, len(f.Tensors), c.want)
		}
	}
}

func TestEncodeInvalid(t *testing.T) {
	ok := Tensor{Name: "a", Shape: []int{1}, Data: []float32{1}}
	cases := []struct {
		name    string
		meta    any
		tensors []Tensor
		msg     string
	}{
		{"empty name", nil, []Tensor{{Shape: []int{1}, Data: []float32{1}}}, "empty name"},
		{"bad utf8", nil, []Tensor{{Name: "a\xff", Data: []float32{1}}}, "UTF-8"},
		{"duplicate", nil, []Tensor{ok, ok}, "duplicate"},
		{"negative dim", nil, []Tensor{{Name: "n", Shape: []int{-1, -1}, Data: []float32{1}}}, "bad shape"},
		{"overflowing shape", nil, []Tensor{{Name: "n", Shape: []int{1 << 40, 1 << 40}}}, "bad shape"},
		{"short data", nil, []Tensor{{Name: "s", Shape: []int{2, 2}, Data: []float32{1, 2, 3}}}, "needs 4 values, data has 3"},
		{"scalar without data", nil, []Tensor{{Name: "s"}}, "needs 1 values"},
		{"NaN", nil, []Tensor{{Name: "x", Shape: []int{2}, Data: []float32{0, float32(math.NaN())}}}, "NaN"},
		{"Inf", nil, []Tensor{{Name: "x", Data: []float32{float32(math.Inf(-1))}}}, "-Inf"},
		{"raw meta", json.RawMessage(`{`), nil, "meta"},
		{"unmarshallable meta", make(chan int), nil, "meta"},
		{"NaN meta", math.NaN(), nil, "meta"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		err := Encode(&b, c.meta, c.tensors)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: err = %v, want ErrInvalid mentioning %q", c.name, err, c.msg)
		}
		if b.Len() != 0 {
			t.Errorf("%s: %d bytes written despite the error", c.name, b.Len())
		}
	}
}

func wantErr(t *testing.T, what string, err, kind error, msg string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: err = %v, want %v", what, err, kind)
		return
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("%s: err = %q, want it to mention %q", what, err, msg)
	}
	if !strings.HasPrefix(err.Error(), "checkpoints: ") {
		t.Errorf("%s: err = %q, want prefix \"checkpoints: \"", what, err)
	}
}

func TestDecodeTruncated(t *testing.T) {
	data := encodeSample(t)
	for n := range len(data) {
		f, err := Decode(data[:n])
		if f != nil || !errors.Is(err, ErrCorrupt) {
			t.Fatalf("prefix of %d of %d bytes: got %v, %v; want ErrCorrupt", n, len(data), f, err)
		}
	}
	_, err := Decode(data[:5])
	wantErr(t, "5 bytes", err, ErrCorrupt, "truncated")
	_, err = Decode(data[:80])
	wantErr(t, "80 bytes", err, ErrCorrupt, "truncated: header length")
	_, err = Decode(data[:len(data)-1])
	wantErr(t, "one byte short", err, ErrCorrupt, "checksum")
}

func TestDecodeFlippedBytes(t *testing.T) {
	data := encodeSample(t)
	for _, mask := range []byte{0x01, 0x80, 0xff} {
		for i := range data {
			c := bytes.Clone(data)
			c[i] ^= mask
			_, err := Decode(c)
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("byte %d ^ %#x: err = %v, want ErrCorrupt or ErrVersion", i, mask, err)
			}
			versionByte := i >= len(magic) && i < len(magic)+4
			if errors.Is(err, ErrVersion) != versionByte {
				t.Errorf("byte %d ^ %#x: err = %v", i, mask, err)
			}
		}
	}
}

func TestDecodeTrailingBytes(t *testing.T) {
	data := encodeSample(t)
	_, err := Decode(append(bytes.Clone(data), 0))
	wantErr(t, "one trailing byte", err, ErrCorrupt, "checksum")
	// Trailing bytes that are themselves a valid checksum of everything
	// before them get past the checksum and are caught by the length check.
	_, err = Decode(reseal(data))
	wantErr(t, "resealed trailing bytes", err, ErrCorrupt, "trailing bytes")
}

func TestDecodeWrongMagic(t *testing.T) {
	data := encodeSample(t)
	c := bytes.Clone(data)
	copy(c, "OTGEN-CKPX")
	_, err := Decode(c)
	wantErr(t, "wrong magic", err, ErrCorrupt, "wrong magic")
	_, err = Decode([]byte("PK\x03\x04"))
	wantErr(t, "zip file", err, ErrCorrupt, "wrong magic")
	_, err = Decode(nil)
	wantErr(t, "empty", err, ErrCorrupt, "truncated")
}

func TestDecodeVersion(t *testing.T) {
	data := encodeSample(t)
	body := bytes.Clone(data[:len(data)-sumLen])
	binary.LittleEndian.PutUint32(body[len(magic):], 2)
	_, err := Decode(reseal(body))
	wantErr(t, "version 2", err, ErrVersion, "version 2")
	if errors.Is(err, ErrCorrupt) {
		t.Errorf("version 2 is also ErrCorrupt: %v", err)
	}
	// Only the version is needed to tell: a short newer file is ErrVersion too.
	_, err = Decode(body[:20])
	wantErr(t, "short version 2", err, ErrVersion, "version 2")
}

func TestDecodeResealed(t *testing.T) {
	one := le(1)
	cases := []struct {
		name    string
		hdr     string
		payload []byte
		msg     string
	}{
		{"valid control", `{"meta":null,"tensors":[{"name":"a","shape":[]}]}`, one, ""},
		{"valid with spaces and other key order", ` { "tensors" : [ { "shape" : [ 1 ] , "name" : "a" } ] , "meta" : { } } `, one, ""},
		{"broken JSON", `{"meta":null,"tensors":[{"name":"a","shape":[]}]`, one, "header"},
		{"not an object", `[]`, nil, "not a JSON object"},
		{"empty header", ``, nil, "header"},
		{"missing meta", `{"tensors":[]}`, nil, `missing key "meta"`},
		{"missing tensors", `{"meta":1}`, nil, `missing key "tensors"`},
		{"unknown key", `{"meta":1,"tensors":[],"step":3}`, nil, `unknown key "step"`},
		{"duplicate key", `{"meta":1,"tensors":[],"meta":2}`, nil, `duplicate key "meta"`},
		{"data after object", `{"meta":1,"tensors":[]} {}`, nil, "after the JSON object"},
		{"garbage after object", `{"meta":1,"tensors":[]}x`, nil, "after the JSON object"},
		{"tensors not array", `{"meta":1,"tensors":{}}`, nil, "not an array"},
		{"tensors null", `{"meta":1,"tensors":null}`, nil, "not an array"},
		{"tensor not object", `{"meta":1,"tensors":[3]}`, nil, "not a JSON object"},
		{"tensor missing shape", `{"meta":1,"tensors":[{"name":"a"}]}`, one, `missing key "shape"`},
		{"tensor missing name", `{"meta":1,"tensors":[{"shape":[]}]}`, one, `missing key "name"`},
		{"tensor extra key", `{"meta":1,"tensors":[{"name":"a","shape":[],"dtype":"f32"}]}`, one, `unknown key "dtype"`},
		{"name not string", `{"meta":1,"tensors":[{"name":7,"shape":[]}]}`, one, "not a string"},
		{"empty name", `{"meta":1,"tensors":[{"name":"","shape":[]}]}`, one, "empty name"},
		{"shape null", `{"meta":1,"tensors":[{"name":"a","shape":null}]}`, one, "not an array"},
		{"shape fraction", `{"meta":1,"tensors":[{"name":"a","shape":[1.5]}]}`, one, "shape"},
		{"shape exponent", `{"meta":1,"tensors":[{"name":"a","shape":[1e0]}]}`, one, "shape"},
		{"shape string", `{"meta":1,"tensors":[{"name":"a","shape":["1"]}]}`, one, "shape"},
		{"shape too big for int", `{"meta":1,"tensors":[{"name":"a","shape":[99999999999999999999]}]}`, one, "shape"},
		{"negative dimension", `{"meta":1,"tensors":[{"name":"a","shape":[-1,-1]}]}`, one, "negative dimension"},
		{"negative with zero", `{"meta":1,"tensors":[{"name":"a","shape":[0,-1]}]}`, nil, "negative dimension"},
		{"duplicate names", `{"meta":1,"tensors":[{"name":"a","shape":[]},{"name":"a","shape":[]}]}`, le(1, 2), `duplicate tensor name "a"`},
		{"invalid UTF-8", "{\"meta\":\"\xff\",\"tensors\":[]}", nil, "UTF-8"},
		{"too little data", `{"meta":1,"tensors":[{"name":"a","shape":[3]}]}`, le(1, 2), "truncated data"},
		{"too much data", `{"meta":1,"tensors":[{"name":"a","shape":[1]}]}`, le(1, 2), "4 trailing bytes"},
		{"data not whole floats", `{"meta":1,"tensors":[{"name":"a","shape":[1]}]}`, append(le(1), 0, 0), "2 trailing bytes"},
		{"data without tensors", `{"meta":1,"tensors":[]}`, le(1), "trailing bytes"},
		{"huge shape", `{"meta":1,"tensors":[{"name":"a","shape":[1073741824,1073741824]}]}`, le(1), "truncated data"},
		{"2^60 elements", `{"meta":1,"tensors":[{"name":"a","shape":[1152921504606846976]}]}`, le(1), "truncated data"},
		{"overflowing product", `{"meta":1,"tensors":[{"name":"a","shape":[4294967296,4294967296,4294967296]}]}`, nil, "truncated data"},
		{"NaN", `{"meta":1,"tensors":[{"name":"a","shape":[2]}]}`, le(0, float32(math.NaN())), "value 1 is NaN"},
		{"Inf", `{"meta":1,"tensors":[{"name":"a","shape":[]}]}`, le(float32(math.Inf(1))), "+Inf"},
		{"deep meta", `{"meta":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `,"tensors":[]}`, nil, "header"},
	}
	for _, c := range cases {
		f, err := Decode(seal(Version, c.hdr, c.payload))
		if c.msg == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			} else if len(f.Tensors) != 1 || f.Tensors[0].Data[0] != 1 {
				t.Errorf("%s: got %+v", c.name, f.Tensors)
			}
			continue
		}
		if f != nil {
			t.Errorf("%s: got a file with an error %v", c.name, err)
		}
		wantErr(t, c.name, err, ErrCorrupt, c.msg)
	}
}

func TestDecodeHugeHeaderLength(t *testing.T) {
	data := encodeSample(t)
	for _, h := range []uint64{math.MaxUint64, 1 << 63, 1 << 60, uint64(len(data))} {
		c := bytes.Clone(data)
		binary.LittleEndian.PutUint64(c[len(magic)+4:], h)
		_, err := Decode(c)
		wantErr(t, "huge header length", err, ErrCorrupt, "truncated: header length")
	}
}

// TestDecodeBoundedAllocation checks that a small file claiming a huge tensor
// is rejected without a matching allocation.
func TestDecodeBoundedAllocation(t *testing.T) {
	data := seal(Version, `{"meta":1,"tensors":[{"name":"a","shape":[268435456]}]}`, le(1, 2, 3)) // claims 1 GiB
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Decode(data)
	runtime.ReadMemStats(&after)
	wantErr(t, "1 GiB claim", err, ErrCorrupt, "truncated data")
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("Decode of a %d-byte file allocated %d bytes", len(data), got)
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "last.otgen")
	if err := os.WriteFile(path, encodeSample(t), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Path != path {
		t.Errorf("Path = %q, want %q", f.Path, path)
	}
	sameTensors(t, f.Tensors, sampleTensors())

	missing := filepath.Join(dir, "runs", "x", "nope.otgen")
	_, err = Read(missing)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Read(missing) = %v, want ErrNotExist naming %s", err, missing)
	}

	short := filepath.Join(dir, "short.otgen")
	if err := os.WriteFile(short, encodeSample(t)[:100], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Read(short)
	wantErr(t, "Read(short)", err, ErrCorrupt, "checkpoints: "+short+": ")
	if err != nil && !strings.Contains(err.Error(), "truncated") {
		t.Errorf("Read(short) = %v, want it to say truncated", err)
	}
}

func TestRestore(t *testing.T) {
	f, err := Decode(encodeSample(t))
	if err != nil {
		t.Fatal(err)
	}
	f.Path = "runs/x/last.otgen"
	targets := func() []Tensor {
		var ts []Tensor
		for _, s := range sampleTensors() {
			ts = append(ts, Tensor{Name: s.Name, Shape: s.Shape, Data: make([]float32, len(s.Data))})
		}
		return ts
	}

	// Success, in another order than the file's.
	ts := targets()
	ts[0], ts[4] = ts[4], ts[0]
	if err := f.Restore(ts); err != nil {
		t.Fatal(err)
	}
	want := sampleTensors()
	want[0], want[4] = want[4], want[0]
	sameTensors(t, ts, want)

	// Every kind of difference at once, and nothing copied.
	ts = targets()
	ts[0].Shape = []int{3, 2}                                                // shape mismatch, same size
	ts[4] = Tensor{Name: "dec/w", Shape: []int{2}, Data: make([]float32, 2)} // missing in file; "bias..." unknown
	err = f.Restore(ts)
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("Restore = %v, want ErrMismatch", err)
	}
	for _, s := range []string{
		"runs/x/last.otgen", "3 differences",
		`"enc/w" shape [2 3] in file, [3 2] in target`,
		`"dec/w" [2] missing in file`,
		`"bias ünïcode <&>" [4] in file is not among the targets`,
	} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("Restore error %q does not mention %q", err, s)
		}
	}
	for _, tt := range ts {
		for _, v := range tt.Data {
			if v != 0 {
				t.Fatalf("Restore copied into %q despite the mismatch", tt.Name)
			}
		}
	}

	// Fewer targets than tensors: only "unknown in file".
	err = f.Restore(targets()[1:])
	if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), `1 difference: "enc/w" [2 3] in file is not among the targets`) {
		t.Errorf("Restore(subset) = %v", err)
	}

	// Invalid targets.
	ts = targets()
	ts[1].Data = nil
	if err := f.Restore(ts); !errors.Is(err, ErrInvalid) {
		t.Errorf("Restore(target without data) = %v, want ErrInvalid", err)
	}
	ts = targets()
	ts[1].Name = ts[0].Name
	if err := f.Restore(ts); !errors.Is(err, ErrInvalid) {
		t.Errorf("Restore(duplicate targets) = %v, want ErrInvalid", err)
	}

	// A File built by hand whose data does not match its shape.
	bad := &File{Tensors: []Tensor{{Name: "a", Shape: []int{2}, Data: []float32{1}}}}
	err = bad.Restore([]Tensor{{Name: "a", Shape: []int{2}, Data: make([]float32, 2)}})
	if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "checkpoint") {
		t.Errorf("Restore from inconsistent File = %v, want ErrMismatch", err)
	}
}
