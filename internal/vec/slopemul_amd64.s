//go:build amd64 && !purego

#include "textflag.h"

// func slopeMulAVX512(dst, v, x *float32, n int, alpha float32)
// dst[i] = v[i]·alpha where the sign bit of x[i] is set, v[i] elsewhere:
// VPMOVD2M turns the 16 sign bits into a mask, and the multiply by alpha
// writes only the masked lanes (the others keep v, which is 1·v exactly).
TEXT ·slopeMulAVX512(SB), NOSPLIT, $0-36
	MOVQ         dst+0(FP), DI
	MOVQ         v+8(FP), SI
	MOVQ         x+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS alpha+32(FP), Z16

loop:
	CMPQ      CX, $16
	JLT       tail
	VMOVUPS   (SI), Z0
	VMOVUPS   (DX), Z1
	VPMOVD2M  Z1, K1
	VMULPS    Z16, Z0, K1, Z0
	VMOVUPS   Z0, (DI)
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       loop

tail:
	TESTQ     CX, CX
	JZ        done
	MOVL      $1, R10
	SHLL      CX, R10
	DECL      R10
	KMOVW     R10, K2
	VMOVUPS.Z (SI), K2, Z0
	VMOVUPS.Z (DX), K2, Z1
	VPMOVD2M  Z1, K1
	VMULPS    Z16, Z0, K1, Z0
	VMOVUPS   Z0, K2, (DI)

done:
	VZEROUPPER
	RET
