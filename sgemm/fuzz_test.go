package sgemm

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// FuzzSgemm checks Sgemm on fuzzed shapes, transposes, paddings and
// alpha/beta, on every kernel of this CPU with B packed and read in place:
// the operands are small integers and alpha, beta powers of two or zero, so
// that every result is exact and is compared bit for bit with a float64
// reference. Run it with go test -fuzz FuzzSgemm ./sgemm.
func FuzzSgemm(f *testing.F) {
	f.Add(uint16(1), uint16(1), uint16(1), false, false, uint8(0), uint8(0), uint64(1))
	f.Add(uint16(12), uint16(64), uint16(256), false, false, uint8(0), uint8(0), uint64(2))
	f.Add(uint16(13), uint16(65), uint16(257), true, false, uint8(0x1b), uint8(0x21), uint64(3))
	f.Add(uint16(7), uint16(48), uint16(513), false, true, uint8(0x05), uint8(0x12), uint64(4))
	f.Add(uint16(97), uint16(17), uint16(31), true, true, uint8(0x3f), uint8(0x33), uint64(5))
	f.Add(uint16(300), uint16(5), uint16(2), false, false, uint8(0x08), uint8(0x44), uint64(6))
	f.Add(uint16(6), uint16(200), uint16(70), true, false, uint8(0x01), uint8(0x10), uint64(7))
	f.Add(uint16(0), uint16(3), uint16(0), false, false, uint8(0), uint8(0x02), uint64(8))
	scales := []float32{1, -1, 2, 0.5, 0}
	f.Fuzz(func(t *testing.T, m, n, k uint16, tA, tB bool, pads, ab uint8, seed uint64) {
		g := gemmCase{
			tA: blas.NoTrans, tB: blas.NoTrans,
			m: int(m % 400), n: int(n % 400), k: int(k % 700),
			padA: int(pads & 3), padB: int(pads >> 2 & 3), padC: int(pads >> 4 & 7),
			alpha: scales[int(ab&15)%len(scales)], beta: scales[int(ab>>4)%len(scales)],
		}
		if g.m*g.n*g.k > 2e6 {
			g.k = 1 + g.k%7
		}
		if tA {
			g.tA = blas.Trans
		}
		if tB {
			g.tB = blas.ConjTrans // the same as Trans for real matrices
		}
		forEachKernel(t, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 9))
			fill := func() float32 { return float32(rng.IntN(7) - 3) }
			check(t, g, fill, true, 0)
		})
	})
}
