package runs

import (
	"math/rand/v2"
	"testing"
)

// TestMatchGo checks the float32 runs (vector code where the CPU has
// it, see SIMD) against the Go loops on random layouts, ow from 1 to
// 40 so that runs have whole 16-value groups, masked tails or both; the
// results must be identical (each value is one copy or one addition).
// With -tags purego, or without AVX-512, both sides are the Go loops.
func TestMatchGo(t *testing.T) {
	t.Logf("runs: %q", SIMD)
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 400; trial++ {
		r := Layout{NB: 1 + rng.IntN(4), OH: 1 + rng.IntN(6), OW: 1 + rng.IntN(40)}
		r.Pitch = r.OW + rng.IntN(20)
		r.Stride = r.OH*r.Pitch + rng.IntN(30)
		packed := make([]float32, r.NB*r.OH*r.OW+rng.IntN(3))
		strided := make([]float32, (r.NB-1)*r.Stride+(r.OH-1)*r.Pitch+r.OW+rng.IntN(3))
		for i := range packed {
			packed[i] = rng.Float32()
		}
		for i := range strided {
			strided[i] = rng.Float32()
		}
		got := append([]float32(nil), packed...)
		want := append([]float32(nil), packed...)
		Copy(got, strided, r)
		CopyGo(want, strided, r)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("copy %+v: value %d is %v, want %v", r, i, got[i], want[i])
			}
		}
		got = append(got[:0], strided...)
		want = append(want[:0], strided...)
		Add(got, packed, r)
		AddGo(want, packed, r)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("add %+v: value %d is %v, want %v", r, i, got[i], want[i])
			}
		}
	}
}

// TestCheckBounds: a layout that does not fit its blocks panics before
// the vector code, which has no bounds checks, touches memory.
func TestCheckBounds(t *testing.T) {
	r := Layout{NB: 2, Stride: 20, OH: 3, OW: 5, Pitch: 6}
	strided := make([]float32, 20+2*6+5)
	for name, f := range map[string]func(){
		"copy short packed":  func() { Copy(make([]float32, 29), strided, r) },
		"copy short strided": func() { Copy(make([]float32, 30), strided[:36], r) },
		"add short packed":   func() { Add(strided, make([]float32, 29), r) },
		"add short strided":  func() { Add(strided[:36], make([]float32, 30), r) },
		"pitch below ow":     func() { Copy(make([]float32, 30), strided, Layout{2, 20, 3, 5, 4}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	Copy(make([]float32, 30), strided, r) // fits exactly
}
