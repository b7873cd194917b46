package checkpoints

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
)

// benchTensors returns about 10 MB of tensors.
func benchTensors() []Tensor {
	ts := make([]Tensor, 10)
	for i := range ts {
		data := make([]float32, 512*512)
		for j := range data {
			data[j] = float32(j%1000) * 0.001
		}
		ts[i] = Tensor{Name: fmt.Sprintf("layer%d/weight", i), Shape: []int{512, 512}, Data: data}
	}
	return ts
}

func benchSize(b *testing.B, ts []Tensor) int64 {
	var buf bytes.Buffer
	if err := Encode(&buf, nil, ts); err != nil {
		b.Fatal(err)
	}
	return int64(buf.Len())
}

// BenchmarkWrite measures Write of ~10 MB, fsyncs included.
func BenchmarkWrite(b *testing.B) {
	ts := benchTensors()
	path := filepath.Join(b.TempDir(), "bench.otgen")
	b.SetBytes(benchSize(b, ts))
	for b.Loop() {
		if err := Write(path, map[string]int{"step": 1}, ts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead measures Read of ~10 MB.
func BenchmarkRead(b *testing.B) {
	ts := benchTensors()
	path := filepath.Join(b.TempDir(), "bench.otgen")
	if err := Write(path, nil, ts); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize(b, ts))
	for b.Loop() {
		if _, err := Read(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode measures Encode of ~10 MB into memory.
func BenchmarkEncode(b *testing.B) {
	ts := benchTensors()
	var buf bytes.Buffer
	b.SetBytes(benchSize(b, ts))
	for b.Loop() {
		buf.Reset()
		if err := Encode(&buf, nil, ts); err != nil {
			b.Fatal(err)
		}
	}
}
