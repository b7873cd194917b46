package runs

import (
	"math/rand/v2"
	"testing"
)

// TestPairsMatchGo checks the float32 Split and Merge (vector code where
// the CPU has it, see SIMD) against the Go loops on random layouts: widths
// from 2 to 70 (whole groups of 8 pairs, masked tails or both), rows in any
// order and at any offset, half-rows with gaps between them. Values outside
// the half-rows and the rows must stay as they were.
func TestPairsMatchGo(t *testing.T) {
	t.Logf("runs: %q", SIMD)
	rng := rand.New(rand.NewPCG(17, 18))
	for trial := 0; trial < 400; trial++ {
		w := 2 * (1 + rng.IntN(35))
		h := 1 + rng.IntN(6)
		gap := rng.IntN(3)
		p := Pairs{W: w, RowOff: make([]int32, h)}
		p.Even = rng.IntN(3)
		p.Odd = p.Even + w/2 + gap
		if rng.IntN(2) == 0 {
			p.Even, p.Odd = p.Odd, p.Even
		}
		pitch := w + gap + 2 + rng.IntN(3)
		for y, r := range rng.Perm(h) {
			p.RowOff[y] = int32(r * pitch)
		}
		ph := make([]float32, h*pitch+rng.IntN(3))
		plane := make([]float32, h*w+rng.IntN(3))
		for i := range ph {
			ph[i] = rng.Float32()
		}
		for i := range plane {
			plane[i] = rng.Float32()
		}
		got := append([]float32(nil), ph...)
		want := append([]float32(nil), ph...)
		Split(got, plane, p)
		SplitGo(want, plane, p)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("split %+v: value %d is %v, want %v", p, i, got[i], want[i])
			}
		}
		got = append(got[:0], plane...)
		want = append(want[:0], plane...)
		Merge(got, ph, p)
		MergeGo(want, ph, p)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("merge %+v: value %d is %v, want %v", p, i, got[i], want[i])
			}
		}
	}
}

// TestPairsDefinition: SplitGo puts column 2k of row y at even+k of the
// row's half-rows and column 2k+1 at odd+k; MergeGo undoes it.
func TestPairsDefinition(t *testing.T) {
	p := Pairs{RowOff: []int32{10, 0}, W: 4, Even: 1, Odd: 4}
	plane := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	ph := make([]float32, 16)
	SplitGo(ph, plane, p)
	want := []float32{0, 5, 7, 0, 6, 8, 0, 0, 0, 0, 0, 1, 3, 0, 2, 4}
	for i := range want {
		if ph[i] != want[i] {
			t.Fatalf("split: %v, want %v", ph, want)
		}
	}
	back := make([]float32, 8)
	MergeGo(back, ph, p)
	for i := range back {
		if back[i] != plane[i] {
			t.Fatalf("merge: %v, want %v", back, plane)
		}
	}
}

// TestPairsCheckBounds: pairs that do not fit their blocks panic before
// the vector code touches memory.
func TestPairsCheckBounds(t *testing.T) {
	p := Pairs{RowOff: []int32{0, 8}, W: 6, Even: 0, Odd: 3}
	for name, f := range map[string]func(){
		"short half-rows": func() { Split(make([]float32, 13), make([]float32, 12), p) },
		"short plane":     func() { Split(make([]float32, 14), make([]float32, 11), p) },
		"odd width":       func() { Merge(make([]float32, 20), make([]float32, 20), Pairs{RowOff: []int32{0}, W: 5}) },
		"overlapping halves": func() {
			Split(make([]float32, 20), make([]float32, 20), Pairs{RowOff: []int32{0}, W: 4, Even: 1, Odd: 2})
		},
		"negative row": func() { Merge(make([]float32, 20), make([]float32, 20), Pairs{RowOff: []int32{-1}, W: 4, Odd: 2}) },
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
	Split(make([]float32, 14), make([]float32, 12), p) // fits exactly
}
