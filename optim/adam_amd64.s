//go:build amd64 && !purego

#include "textflag.h"

// ADAM16 computes the update of 16 values: from g in Z0, m in Z1, v in Z2
// and w in Z7 the new m in Z1, v in Z2 and w in Z7, with the constants in
// Z16-Z23, in the order of adamGo, one rounding per operation (no fused
// multiply-add), so that every value equals the Go loop's:
//   m = b1·m + (1−b1)·g
//   v = b2·v + ((1−b2)·g)·g
//   w = w − (lr·(m·c1)) / (sqrt(v·c2) + eps)
#define ADAM16 \
	VMULPS  Z16, Z1, Z1 \
	VMULPS  Z17, Z0, Z3 \
	VADDPS  Z3, Z1, Z1  \
	VMULPS  Z18, Z2, Z2 \
	VMULPS  Z19, Z0, Z4 \
	VMULPS  Z0, Z4, Z4  \
	VADDPS  Z4, Z2, Z2  \
	VMULPS  Z21, Z1, Z5 \
	VMULPS  Z20, Z5, Z5 \
	VMULPS  Z22, Z2, Z6 \
	VSQRTPS Z6, Z6      \
	VADDPS  Z23, Z6, Z6 \
	VDIVPS  Z6, Z5, Z5  \
	VSUBPS  Z5, Z7, Z7

// func adamAVX512(w, grad, m, v *float32, n int, c *adamConsts)
TEXT ·adamAVX512(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), AX
	VBROADCASTSS 0(AX), Z16  // b1
	VBROADCASTSS 4(AX), Z17  // 1 − b1
	VBROADCASTSS 8(AX), Z18  // b2
	VBROADCASTSS 12(AX), Z19 // 1 − b2
	VBROADCASTSS 16(AX), Z20 // lr
	VBROADCASTSS 20(AX), Z21 // c1
	VBROADCASTSS 24(AX), Z22 // c2
	VBROADCASTSS 28(AX), Z23 // eps

loop:
	CMPQ    CX, $16
	JLT     tail
	VMOVUPS (SI), Z0
	VMOVUPS (R8), Z1
	VMOVUPS (R9), Z2
	VMOVUPS (DI), Z7
	ADAM16
	VMOVUPS Z1, (R8)
	VMOVUPS Z2, (R9)
	VMOVUPS Z7, (DI)
	ADDQ    $64, SI
	ADDQ    $64, R8
	ADDQ    $64, R9
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     loop

tail:
	// The last n < 16 values, under the lane mask K1 = 2ⁿ − 1.
	TESTQ     CX, CX
	JZ        done
	MOVL      $1, R10
	SHLL      CX, R10
	DECL      R10
	KMOVW     R10, K1
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (R8), K1, Z1
	VMOVUPS.Z (R9), K1, Z2
	VMOVUPS.Z (DI), K1, Z7
	ADAM16
	VMOVUPS   Z1, K1, (R8)
	VMOVUPS   Z2, K1, (R9)
	VMOVUPS   Z7, K1, (DI)

done:
	VZEROUPPER
	RET
