package ot

import "math"

// A fast exponential for the Sinkhorn kernel (math.Exp dominated the
// kernel builds). Table-driven range reduction: v = (256 e + j) ln2/256 + r
// with |r| <= ln2/512 (Cody–Waite split of ln2/256; the high part has 21
// significant bits, so k·hi is exact for |k| < 2^32, far beyond the
// 2^18 of the finite range), exp(v) = 2^e · 2^(j/256) · exp(r), the 256
// values 2^(j/256) from math.Exp2 and exp(r) by its Taylor polynomial of
// degree 4, whose truncation error is below (ln2/512)^5/120 < 4e-17
// relative. The result is within a few ulp of math.Exp (tested: relative
// error < 1e-15 on the normal range). Results below 2^-1022 (v < -708.39)
// flush to 0 instead of
// being subnormal; v > 709.78 gives +Inf and NaN gives NaN, as math.Exp.

const (
	expLn2Hi256 = 6.93147180369123816490e-01 / 256 // low 32 bits of ln2Hi are zero
	expLn2Lo256 = 1.90821492927058770002e-10 / 256
	exp256Log2e = 256 * 1.44269504088896338700e+00
	// expLo is the smallest v whose exp is a normal float64 (2^-1022).
	expLo = -708.3964185322641
	// expHi is the largest v whose exp is finite.
	expHi = 7.09782712893383973096e+02
	// expRound rounds to the nearest integer by adding and subtracting
	// 1.5·2^52 (exact for |t| < 2^51).
	expRound = 6755399441055744.0
)

// expTab[j] = 2^(j/256).
var expTab = func() (t [256]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / 256)
	}
	return
}()

// expSum sets x[i] = exp(x[i] + shift) and returns the sum of the results.
func expSum(x []float64, shift float64) float64 {
	s := 0.0
	for i, v := range x {
		v += shift
		var e float64
		if v >= expLo && v <= expFastHi {
			// fastExp's body, inlined (the call cost a third of it)
			k := (v*exp256Log2e + expRound) - expRound
			r := v - k*expLn2Hi256 - k*expLn2Lo256
			p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24))))
			ki := int64(k)
			e = p * expTab[ki&255] * math.Float64frombits(uint64((ki>>8)+1023)<<52)
		} else {
			e = fastExp(v)
		}
		x[i] = e
		s += e
	}
	return s
}

// expRow sets row[j] = exp((fi + g[j] - Mi[j]) * inv), as fastExp, and
// returns the sum of the row.
func expRow(row, g, Mi []float64, fi, inv float64) float64 {
	g = g[:len(row)]
	Mi = Mi[:len(row)]
	s := 0.0
	for j := range row {
		v := (fi + g[j] - Mi[j]) * inv
		var e float64
		if v >= expLo && v <= expFastHi {
			k := (v*exp256Log2e + expRound) - expRound
			r := v - k*expLn2Hi256 - k*expLn2Lo256
			p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24))))
			ki := int64(k)
			e = p * expTab[ki&255] * math.Float64frombits(uint64((ki>>8)+1023)<<52)
		} else {
			e = fastExp(v)
		}
		row[j] = e
		s += e
	}
	return s
}

// expFastHi bounds the inlined fast paths of fastExp: below it the
// exponent 2^e of the result is at most 2^1022, so no overflow handling is
// needed.
const expFastHi = 700.0

// fastExp is exp(v) (see the file comment).
func fastExp(v float64) float64 {
	if !(v >= expLo) || v > expHi {
		switch {
		case v != v:
			return v
		case v > 0:
			return math.Inf(1)
		}
		return 0
	}
	k := (v*exp256Log2e + expRound) - expRound
	r := v - k*expLn2Hi256 - k*expLn2Lo256
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24))))
	ki := int64(k)
	e := ki >> 8
	p *= expTab[ki&255]
	if e > 1023 {
		return p * 2 * math.Float64frombits(uint64(e+1022)<<52)
	}
	return p * math.Float64frombits(uint64(e+1023)<<52)
}
