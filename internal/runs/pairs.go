package runs

import "fmt"

// Pairs places the rows of a plane, W values each (W even), into two
// planes of half-rows: row y's values at even columns go to
// Dst[RowOff[y]+Even:], those at odd columns to Dst[RowOff[y]+Odd:], W/2
// values each. It is the stride-2 phase split of otgen/nn's im2col (and,
// backwards, the merge of col2im), where the two half-rows of a row lie in
// different phase planes.
type Pairs struct {
	RowOff    []int32
	W         int
	Even, Odd int
}

// Split writes the rows of plane into the half-rows of ph.
var Split = SplitGo[float32]

// Merge writes the half-rows of ph back into the rows of plane.
var Merge = MergeGo[float32]

// SplitGo is Split in Go, for any float type.
func SplitGo[T float32 | float64](ph, plane []T, p Pairs) {
	p.Check(len(ph), len(plane))
	n := p.W / 2
	for y, ro := range p.RowOff {
		src := plane[y*p.W : (y+1)*p.W]
		e := ph[int(ro)+p.Even:]
		o := ph[int(ro)+p.Odd:]
		e, o = e[:n], o[:n]
		for k := range e {
			e[k] = src[2*k]
			o[k] = src[2*k+1]
		}
	}
}

// MergeGo is Merge in Go, for any float type.
func MergeGo[T float32 | float64](plane, ph []T, p Pairs) {
	p.Check(len(ph), len(plane))
	n := p.W / 2
	for y, ro := range p.RowOff {
		dst := plane[y*p.W : (y+1)*p.W]
		e := ph[int(ro)+p.Even:]
		o := ph[int(ro)+p.Odd:]
		e, o = e[:n], o[:n]
		for k := range e {
			dst[2*k] = e[k]
			dst[2*k+1] = o[k]
		}
	}
}

// Check panics unless a plane of planeLen values holds the rows, phLen
// values hold every half-row and a row's two half-rows do not overlap: the
// vector code does no bounds checks of its own. (Half-rows of different
// rows should not overlap either; that is not checked.)
func (p Pairs) Check(phLen, planeLen int) {
	ok := p.W >= 0 && p.W%2 == 0 && p.Even >= 0 && p.Odd >= 0 && max(p.Even, p.Odd)-min(p.Even, p.Odd) >= p.W/2 &&
		planeLen >= len(p.RowOff)*p.W
	for _, ro := range p.RowOff {
		if !ok {
			break
		}
		ok = ro >= 0 && int(ro)+max(p.Even, p.Odd)+p.W/2 <= phLen
	}
	if !ok {
		panic(fmt.Sprintf("runs: pairs of %d rows of %d values (even at %d, odd at %d) in %d and %d values", len(p.RowOff), p.W, p.Even, p.Odd, phLen, planeLen))
	}
}
