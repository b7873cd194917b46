package ot

import (
	"math"
	"slices"
)

// Radix sort of float64 keys for the 1-D solvers.
//
// A float64 is mapped to a uint64 whose unsigned order is the numeric order
// (the sign-flip trick: negative numbers have all bits inverted, the others
// get the sign bit set), with -0 mapped like +0 so that the two zeros tie,
// as they do under <. NaNs are not supported (the callers reject them). The
// keys are then sorted by a least-significant-digit radix sort with 11-bit
// digits (6 passes at most; a pass whose digit is the same for every key is
// skipped), which is stable: equal keys keep their input order, so a
// payload of input indices gives exactly the order of a stable comparison
// sort (sort.SliceStable / sort.Float64s up to the order of ties).

const (
	radixBits = 11
	radixSize = 1 << radixBits
	radixMask = radixSize - 1
	// radixPasses covers 64 bits in 11-bit digits.
	radixPasses = (64 + radixBits - 1) / radixBits
	// radixMin is the length below which the callers use a comparison
	// sort instead (the histograms would dominate).
	radixMin = 1 << 10
)

// floatKey maps v to a uint64 with the same order (-0 maps to the key of
// +0).
func floatKey(v float64) uint64 {
	b := math.Float64bits(v)
	if b == 1<<63 {
		b = 0
	}
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// keyFloat inverts floatKey (returning +0 for -0).
func keyFloat(k uint64) float64 {
	if k>>63 != 0 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// radixSort sorts keys in place, stably, moving pay (if non-nil, of the
// same length) along. tk and tp are scratch buffers of the same lengths
// (tp may be nil when pay is). It returns the slices holding the result,
// which are either (keys, pay) or (tk, tp).
func radixSort(keys, pay, tk, tp []uint64) ([]uint64, []uint64) {
	n := len(keys)
	if n < 2 {
		return keys, pay
	}
	var hist [radixPasses][radixSize]int
	for _, k := range keys {
		for p := 0; p < radixPasses; p++ {
			hist[p][(k>>(p*radixBits))&radixMask]++
		}
	}
	src, dst := keys, tk[:n]
	var psrc, pdst []uint64
	if pay != nil {
		psrc, pdst = pay, tp[:n]
	}
	for p := 0; p < radixPasses; p++ {
		h := &hist[p]
		shift := uint(p * radixBits)
		if h[(src[0]>>shift)&radixMask] == n {
			continue // all keys share this digit
		}
		sum := 0
		for d, c := range h {
			h[d] = sum
			sum += c
		}
		if psrc == nil {
			for _, k := range src {
				d := (k >> shift) & radixMask
				dst[h[d]] = k
				h[d]++
			}
		} else {
			for i, k := range src {
				d := (k >> shift) & radixMask
				o := h[d]
				dst[o] = k
				pdst[o] = psrc[i]
				h[d]++
			}
			psrc, pdst = pdst, psrc
		}
		src, dst = dst, src
	}
	return src, psrc
}

// sortFloatKeys returns x sorted ascending as keys (see floatKey) in one of
// the two buffers, which are grown to len(x) as needed; buf and tmp are
// returned for reuse.
func sortFloatKeys(x []float64, buf, tmp []uint64) (sorted, b, t []uint64) {
	n := len(x)
	buf = growU64(buf, n)
	tmp = growU64(tmp, n)
	for i, v := range x {
		buf[i] = floatKey(v)
	}
	if n < radixMin {
		slices.Sort(buf)
		return buf, buf, tmp
	}
	s, _ := radixSort(buf, nil, tmp, nil)
	return s, buf, tmp
}

// sortedIndexRadix returns the permutation that sorts x, ties in index
// order (a stable sort of the indices by value); len(x) must fit in a
// uint32.
func sortedIndexRadix(x []float64) []int {
	n := len(x)
	keys := make([]uint64, 2*n)
	idx := make([]uint32, 2*n)
	var hist [radixPasses][radixSize]int
	for i, v := range x {
		k := floatKey(v)
		keys[i] = k
		idx[i] = uint32(i)
		for p := 0; p < radixPasses; p++ {
			hist[p][(k>>(p*radixBits))&radixMask]++
		}
	}
	src, dst := keys[:n], keys[n:]
	isrc, idst := idx[:n], idx[n:]
	for p := 0; p < radixPasses; p++ {
		h := &hist[p]
		shift := uint(p * radixBits)
		if h[(src[0]>>shift)&radixMask] == n {
			continue
		}
		sum := 0
		for d, c := range h {
			h[d] = sum
			sum += c
		}
		for i, k := range src {
			d := (k >> shift) & radixMask
			o := h[d]
			dst[o] = k
			idst[o] = isrc[i]
			h[d]++
		}
		src, dst = dst, src
		isrc, idst = idst, isrc
	}
	out := make([]int, n)
	for k, i := range isrc {
		out[k] = int(i)
	}
	return out
}

func growU64(b []uint64, n int) []uint64 {
	if cap(b) < n {
		return make([]uint64, n)
	}
	return b[:n]
}
