package checkpoints

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpus in testdata/fuzz")

// corpusSeeds returns named checkpoint files, valid ones first ("valid_*"),
// then broken ones. They seed both fuzz targets.
func corpusSeeds(t testing.TB) map[string][]byte {
	enc := func(meta any, ts []Tensor) []byte {
		var b bytes.Buffer
		if err := Encode(&b, meta, ts); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	sample := encodeSample(t)
	flipped := bytes.Clone(sample)
	flipped[40] ^= 1
	wrongMagic := bytes.Clone(sample)
	wrongMagic[0] = 'X'
	v2 := bytes.Clone(sample[:len(sample)-sumLen])
	binary.LittleEndian.PutUint32(v2[len(magic):], 2)
	return map[string][]byte{
		"valid_sample":      sample,
		"valid_empty":       enc(nil, nil),
		"valid_scalar":      enc(json.RawMessage(`{"step":7,"rng":[1,2,3]}`), []Tensor{{Name: "s", Data: []float32{-1.5}}}),
		"valid_zero_dims":   enc("z", []Tensor{{Name: "a", Shape: []int{0}}, {Name: "b", Shape: []int{2, 0, 3}}, {Name: "c", Shape: []int{1, 1}, Data: []float32{3}}}),
		"valid_spaced":      seal(Version, ` { "tensors" : [ { "shape" : [ 2 ] , "name" : "a\u00e9" } ] , "meta" : [ ] } `, le(1, 2)),
		"truncated_half":    sample[:len(sample)/2],
		"truncated_fixed":   sample[:20],
		"flipped_byte":      flipped,
		"wrong_magic":       wrongMagic,
		"version_2":         reseal(v2),
		"trailing_bytes":    reseal(sample),
		"broken_json":       seal(Version, `{"meta":1,"tensors":[{"name":"a","shape":[]}]`, le(1)),
		"unknown_key":       seal(Version, `{"meta":1,"tensors":[],"x":0}`, nil),
		"duplicate_names":   seal(Version, `{"meta":1,"tensors":[{"name":"a","shape":[]},{"name":"a","shape":[]}]}`, le(1, 2)),
		"short_data":        seal(Version, `{"meta":1,"tensors":[{"name":"a","shape":[3]}]}`, le(1, 2)),
		"long_data":         seal(Version, `{"meta":1,"tensors":[{"name":"a","shape":[1]}]}`, le(1, 2)),
		"negative_dim":      seal(Version, `{"meta":1,"tensors":[{"name":"a","shape":[-1,-1]}]}`, le(1)),
		"huge_shape":        seal(Version, `{"meta":1,"tensors":[{"name":"a","shape":[1152921504606846976]}]}`, le(1)),
		"nan_value":         seal(Version, `{"meta":1,"tensors":[{"name":"a","shape":[]}]}`, le(float32(math.NaN()))),
		"huge_header_len":   append(append([]byte(magic), 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), make([]byte, 40)...),
		"empty":             {},
		"magic_only":        []byte(magic),
		"invalid_utf8_name": seal(Version, "{\"meta\":1,\"tensors\":[{\"name\":\"\xff\",\"shape\":[]}]}", le(1)),
	}
}

func corpusFile(data []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data)
}

// TestFuzzCorpus checks that the committed seed corpus is the one
// corpusSeeds describes (run with -update-corpus to rewrite it) and that
// exactly the valid seeds decode.
func TestFuzzCorpus(t *testing.T) {
	seeds := corpusSeeds(t)
	for name, data := range seeds {
		_, err := Decode(data)
		if valid := strings.HasPrefix(name, "valid_"); valid != (err == nil) {
			t.Errorf("seed %s: Decode error %v", name, err)
		}
		for target, content := range map[string][]byte{
			"FuzzDecode":   data,
			"FuzzResealed": data[:max(0, len(data)-sumLen)],
		} {
			path := filepath.Join("testdata", "fuzz", target, name)
			want := corpusFile(content)
			if *updateCorpus {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("seed %s is missing or stale (err %v); run go test -run TestFuzzCorpus -update-corpus", path, err)
			}
		}
	}
}

// checkDecoded is the property both fuzz targets check: Decode returns a
// valid File or an ErrCorrupt / ErrVersion error, and a File it returns
// encodes again into a checkpoint that decodes to the same content.
func checkDecoded(t *testing.T, data []byte) {
	f, err := Decode(data)
	if err != nil {
		if f != nil {
			t.Fatalf("Decode returned a file and an error %v", err)
		}
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
			t.Fatalf("Decode error %v wraps neither ErrCorrupt nor ErrVersion", err)
		}
		if !strings.HasPrefix(err.Error(), "checkpoints: ") {
			t.Fatalf("Decode error %q lacks the package prefix", err)
		}
		return
	}
	var total int
	for _, tt := range f.Tensors {
		total += len(tt.Data)
	}
	if 4*total > len(data) {
		t.Fatalf("decoded %d values from %d bytes", total, len(data))
	}
	var b bytes.Buffer
	if err := Encode(&b, f.Meta, f.Tensors); err != nil {
		t.Fatalf("a decoded file does not encode: %v", err)
	}
	g, err := Decode(b.Bytes())
	if err != nil {
		t.Fatalf("a re-encoded file does not decode: %v", err)
	}
	var meta bytes.Buffer
	if err := json.Compact(&meta, f.Meta); err != nil {
		t.Fatalf("decoded meta is not JSON: %v", err)
	}
	if !bytes.Equal(meta.Bytes(), g.Meta) {
		t.Fatalf("meta changed in a round trip: %s, then %s", f.Meta, g.Meta)
	}
	sameTensors(t, g.Tensors, f.Tensors)
	if g2 := b.Bytes(); !bytes.Equal(g2, encodeSampleMeta(t, g.Meta, g.Tensors)) {
		t.Fatal("encoding is not canonical")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encodeSample(f))
	f.Fuzz(checkDecoded)
}

// FuzzResealed appends a correct SHA-256 to the fuzzed bytes, so that
// the fuzzer gets past the checksum into the header and data checks.
func FuzzResealed(f *testing.F) {
	s := encodeSample(f)
	f.Add(s[:len(s)-sumLen])
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecoded(t, reseal(body))
	})
}
