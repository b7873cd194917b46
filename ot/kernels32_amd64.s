//go:build amd64

#include "textflag.h"

// Kernels of the online solver (see kernels32.go): AVX-512 (F, DQ) and
// AVX2 + FMA versions of dot, expSumMax and expStore. Lengths are
// multiples of 16. 2^v is computed as 2^n · p(v - n), n = round(v), with p
// a degree-5 polynomial fitted to 2^f on [-1/2, 1/2] (relative error
// 7.5e-8, 2.3e-7 in float32 arithmetic); AVX-512 scales by 2^n with
// VSCALEFPS (0 for very negative v), AVX2 through the exponent bits, with
// v clamped to [-126, 127] and results below -126 set to 0.

DATA expc<>+0(SB)/4, $0x3f800001 // 1.0000000716546562
DATA expc<>+4(SB)/4, $0x3f317214 // 0.693146967063864
DATA expc<>+8(SB)/4, $0x3e75fc8c // 0.240221197239339
DATA expc<>+12(SB)/4, $0x3d635b72 // 0.055507132749623586
DATA expc<>+16(SB)/4, $0x3c1e8629 // 0.009675541330678054
DATA expc<>+20(SB)/4, $0x3aae0472 // 0.0013276471519104098
DATA expc<>+24(SB)/4, $0xc2fc0000 // -126
DATA expc<>+28(SB)/4, $0x42fe0000 // 127
DATA expc<>+32(SB)/4, $0xff800000 // -Inf
GLOBL expc<>(SB), RODATA|NOPTR, $36

// func dotAVX512(t, x, panel []float32)
TEXT ·dotAVX512(SB), NOSPLIT, $0-72
	MOVQ t_base+0(FP), DI
	MOVQ t_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), DX
	MOVQ panel_base+48(FP), BX
	MOVQ DX, R12
	SHLQ $6, R12               // bytes of a panel: 16 d floats
	LEAQ (R12)(R12*2), R13     // three panels

dot512_64:
	CMPQ CX, $64
	JL   dot512_16
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	MOVQ SI, R9
	MOVQ BX, R10
	MOVQ DX, R11

dot512_k64:
	VBROADCASTSS (R9), Z4
	VFMADD231PS  (R10), Z4, Z0
	VFMADD231PS  (R10)(R12*1), Z4, Z1
	VFMADD231PS  (R10)(R12*2), Z4, Z2
	VFMADD231PS  (R10)(R13*1), Z4, Z3
	ADDQ         $4, R9
	ADDQ         $64, R10
	DECQ         R11
	JNZ          dot512_k64
	VMOVUPS      Z0, (DI)
	VMOVUPS      Z1, 64(DI)
	VMOVUPS      Z2, 128(DI)
	VMOVUPS      Z3, 192(DI)
	ADDQ         $256, DI
	LEAQ         (BX)(R12*4), BX
	SUBQ         $64, CX
	JMP          dot512_64

dot512_16:
	CMPQ CX, $16
	JL   dot512_done
	VXORPS Z0, Z0, Z0
	MOVQ SI, R9
	MOVQ BX, R10
	MOVQ DX, R11

dot512_k16:
	VBROADCASTSS (R9), Z4
	VFMADD231PS  (R10), Z4, Z0
	ADDQ         $4, R9
	ADDQ         $64, R10
	DECQ         R11
	JNZ          dot512_k16
	VMOVUPS      Z0, (DI)
	ADDQ         $64, DI
	ADDQ         R12, BX
	SUBQ         $16, CX
	JMP          dot512_16

dot512_done:
	VZEROUPPER
	RET

// func wsumAVX512(lanes, e, panel []float32)
TEXT ·wsumAVX512(SB), NOSPLIT, $0-72
	MOVQ lanes_base+0(FP), DI
	MOVQ lanes_len+8(FP), DX
	SHRQ $4, DX
	MOVQ e_base+24(FP), SI
	MOVQ e_len+32(FP), CX
	MOVQ panel_base+48(FP), BX

ws512_q:
	CMPQ CX, $16
	JL   ws512_done
	VMOVUPS (SI), Z1
	MOVQ    DI, R9
	MOVQ    DX, R11

ws512_k:
	VMOVUPS     (R9), Z0
	VFMADD231PS (BX), Z1, Z0
	VMOVUPS     Z0, (R9)
	ADDQ        $64, R9
	ADDQ        $64, BX
	DECQ        R11
	JNZ         ws512_k
	ADDQ        $64, SI
	SUBQ        $16, CX
	JMP         ws512_q

ws512_done:
	VZEROUPPER
	RET

// EXP512 sets Z dst to 2^(Z v) (v is overwritten), with the polynomial
// coefficients in Z20..Z25.
#define EXP512(v, n, dst) \
	VRNDSCALEPS $0, v, n \
	VSUBPS      n, v, v \
	VMOVAPS     Z25, dst \
	VFMADD213PS Z24, v, dst \
	VFMADD213PS Z23, v, dst \
	VFMADD213PS Z22, v, dst \
	VFMADD213PS Z21, v, dst \
	VFMADD213PS Z20, v, dst \
	VSCALEFPS   n, dst, dst

// SETUP512 loads c into Z26, shift into Z27 and the coefficients into
// Z20..Z25.
#define SETUP512(coff, shoff) \
	VBROADCASTSS coff(FP), Z26 \
	VBROADCASTSS shoff(FP), Z27 \
	VBROADCASTSS expc<>+0(SB), Z20 \
	VBROADCASTSS expc<>+4(SB), Z21 \
	VBROADCASTSS expc<>+8(SB), Z22 \
	VBROADCASTSS expc<>+12(SB), Z23 \
	VBROADCASTSS expc<>+16(SB), Z24 \
	VBROADCASTSS expc<>+20(SB), Z25

// HSUM512 reduces Z0 to its sum in X0; HMAX512 Z1 to its max in X1.
#define HSUM512 \
	VEXTRACTF32X8 $1, Z0, Y2 \
	VADDPS        Y2, Y0, Y0 \
	VEXTRACTF128  $1, Y0, X2 \
	VADDPS        X2, X0, X0 \
	VPERMILPS     $0x4e, X0, X2 \
	VADDPS        X2, X0, X0 \
	VPERMILPS     $0xb1, X0, X2 \
	VADDPS        X2, X0, X0

#define HMAX512 \
	VEXTRACTF32X8 $1, Z1, Y2 \
	VMAXPS        Y2, Y1, Y1 \
	VEXTRACTF128  $1, Y1, X2 \
	VMAXPS        X2, X1, X1 \
	VPERMILPS     $0x4e, X1, X2 \
	VMAXPS        X2, X1, X1 \
	VPERMILPS     $0xb1, X1, X2 \
	VMAXPS        X2, X1, X1

// func expSumMaxAVX512(t, h []float32, c, shift float32) (sum, mx float32)
TEXT ·expSumMaxAVX512(SB), NOSPLIT, $0-64
	MOVQ t_base+0(FP), SI
	MOVQ t_len+8(FP), CX
	MOVQ h_base+24(FP), BX
	SETUP512(c+48, shift+52)
	VXORPS       Z0, Z0, Z0           // sum
	VXORPS       Z8, Z8, Z8           // second sum
	VBROADCASTSS expc<>+32(SB), Z1    // max
	VMOVAPS      Z1, Z9               // second max

esm512_32:
	CMPQ CX, $32
	JL   esm512_16
	VMOVUPS     (BX), Z4
	VFMADD231PS (SI), Z26, Z4
	VMOVUPS     64(BX), Z10
	VFMADD231PS 64(SI), Z26, Z10
	VMAXPS      Z4, Z1, Z1
	VMAXPS      Z10, Z9, Z9
	VSUBPS      Z27, Z4, Z4
	VSUBPS      Z27, Z10, Z10
	EXP512(Z4, Z5, Z6)
	EXP512(Z10, Z11, Z12)
	VADDPS      Z6, Z0, Z0
	VADDPS      Z12, Z8, Z8
	ADDQ        $128, SI
	ADDQ        $128, BX
	SUBQ        $32, CX
	JMP         esm512_32

esm512_16:
	CMPQ CX, $16
	JL   esm512_done
	VMOVUPS     (BX), Z4
	VFMADD231PS (SI), Z26, Z4
	VMAXPS      Z4, Z1, Z1
	VSUBPS      Z27, Z4, Z4
	EXP512(Z4, Z5, Z6)
	VADDPS      Z6, Z0, Z0
	ADDQ        $64, SI
	ADDQ        $64, BX
	SUBQ        $16, CX
	JMP         esm512_16

esm512_done:
	VADDPS Z8, Z0, Z0
	VMAXPS Z9, Z1, Z1
	HSUM512
	HMAX512
	VMOVSS X0, sum+56(FP)
	VMOVSS X1, mx+60(FP)
	VZEROUPPER
	RET

// func expStoreAVX512(dst, t, h []float32, c, shift float32) (sum float32)
TEXT ·expStoreAVX512(SB), NOSPLIT, $0-84
	MOVQ dst_base+0(FP), DI
	MOVQ t_base+24(FP), SI
	MOVQ t_len+32(FP), CX
	MOVQ h_base+48(FP), BX
	SETUP512(c+72, shift+76)
	VXORPS Z0, Z0, Z0

est512_16:
	CMPQ CX, $16
	JL   est512_done
	VMOVUPS     (BX), Z4
	VFMADD231PS (SI), Z26, Z4
	VSUBPS      Z27, Z4, Z4
	EXP512(Z4, Z5, Z6)
	VMOVUPS     Z6, (DI)
	VADDPS      Z6, Z0, Z0
	ADDQ        $64, SI
	ADDQ        $64, BX
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         est512_16

est512_done:
	HSUM512
	VMOVSS X0, sum+80(FP)
	VZEROUPPER
	RET

// func dotAVX2(t, x, panel []float32)
TEXT ·dotAVX2(SB), NOSPLIT, $0-72
	MOVQ t_base+0(FP), DI
	MOVQ t_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), DX
	MOVQ panel_base+48(FP), BX
	MOVQ DX, R12
	SHLQ $6, R12
	LEAQ (R12)(R12*2), R13

dot2_64:
	CMPQ CX, $64
	JL   dot2_16
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	MOVQ SI, R9
	MOVQ BX, R10
	MOVQ DX, R11

dot2_k64:
	VBROADCASTSS (R9), Y4
	VFMADD231PS  (R10), Y4, Y0
	VFMADD231PS  32(R10), Y4, Y1
	VFMADD231PS  (R10)(R12*1), Y4, Y2
	VFMADD231PS  32(R10)(R12*1), Y4, Y3
	VFMADD231PS  (R10)(R12*2), Y4, Y5
	VFMADD231PS  32(R10)(R12*2), Y4, Y6
	VFMADD231PS  (R10)(R13*1), Y4, Y7
	VFMADD231PS  32(R10)(R13*1), Y4, Y8
	ADDQ         $4, R9
	ADDQ         $64, R10
	DECQ         R11
	JNZ          dot2_k64
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y1, 32(DI)
	VMOVUPS      Y2, 64(DI)
	VMOVUPS      Y3, 96(DI)
	VMOVUPS      Y5, 128(DI)
	VMOVUPS      Y6, 160(DI)
	VMOVUPS      Y7, 192(DI)
	VMOVUPS      Y8, 224(DI)
	ADDQ         $256, DI
	LEAQ         (BX)(R12*4), BX
	SUBQ         $64, CX
	JMP          dot2_64

dot2_16:
	CMPQ CX, $16
	JL   dot2_done
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MOVQ SI, R9
	MOVQ BX, R10
	MOVQ DX, R11

dot2_k16:
	VBROADCASTSS (R9), Y4
	VFMADD231PS  (R10), Y4, Y0
	VFMADD231PS  32(R10), Y4, Y1
	ADDQ         $4, R9
	ADDQ         $64, R10
	DECQ         R11
	JNZ          dot2_k16
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y1, 32(DI)
	ADDQ         $64, DI
	ADDQ         R12, BX
	SUBQ         $16, CX
	JMP          dot2_16

dot2_done:
	VZEROUPPER
	RET

// func wsumAVX2(lanes, e, panel []float32)
TEXT ·wsumAVX2(SB), NOSPLIT, $0-72
	MOVQ lanes_base+0(FP), DI
	MOVQ lanes_len+8(FP), DX
	SHRQ $4, DX
	MOVQ e_base+24(FP), SI
	MOVQ e_len+32(FP), CX
	MOVQ panel_base+48(FP), BX

ws2_q:
	CMPQ CX, $16
	JL   ws2_done
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	MOVQ    DI, R9
	MOVQ    DX, R11

ws2_k:
	VMOVUPS     (R9), Y0
	VMOVUPS     32(R9), Y1
	VFMADD231PS (BX), Y2, Y0
	VFMADD231PS 32(BX), Y3, Y1
	VMOVUPS     Y0, (R9)
	VMOVUPS     Y1, 32(R9)
	ADDQ        $64, R9
	ADDQ        $64, BX
	DECQ        R11
	JNZ         ws2_k
	ADDQ        $64, SI
	SUBQ        $16, CX
	JMP         ws2_q

ws2_done:
	VZEROUPPER
	RET

// EXP2 sets Y dst to 2^(Y v) (v is overwritten; n, m are scratch), with
// the coefficients in Y8..Y13, -126 in Y14 and 127 in Y15: v is clamped
// to [-126, 127], the exponent added to the bits of p(v - n), and lanes
// at -126 or below set to 0.
#define EXP2(v, n, m, dst) \
	VMAXPS      Y14, v, v \
	VMINPS      Y15, v, v \
	VCMPPS      $0x0e, Y14, v, m \
	VROUNDPS    $0, v, n \
	VSUBPS      n, v, v \
	VMOVAPS     Y13, dst \
	VFMADD213PS Y12, v, dst \
	VFMADD213PS Y11, v, dst \
	VFMADD213PS Y10, v, dst \
	VFMADD213PS Y9, v, dst \
	VFMADD213PS Y8, v, dst \
	VCVTPS2DQ   n, n \
	VPSLLD      $23, n, n \
	VPADDD      n, dst, dst \
	VANDPS      m, dst, dst

#define SETUP2(coff, shoff) \
	VBROADCASTSS coff(FP), Y6 \
	VBROADCASTSS shoff(FP), Y7 \
	VBROADCASTSS expc<>+0(SB), Y8 \
	VBROADCASTSS expc<>+4(SB), Y9 \
	VBROADCASTSS expc<>+8(SB), Y10 \
	VBROADCASTSS expc<>+12(SB), Y11 \
	VBROADCASTSS expc<>+16(SB), Y12 \
	VBROADCASTSS expc<>+20(SB), Y13 \
	VBROADCASTSS expc<>+24(SB), Y14 \
	VBROADCASTSS expc<>+28(SB), Y15

#define HSUM2 \
	VEXTRACTF128 $1, Y0, X2 \
	VADDPS       X2, X0, X0 \
	VPERMILPS    $0x4e, X0, X2 \
	VADDPS       X2, X0, X0 \
	VPERMILPS    $0xb1, X0, X2 \
	VADDPS       X2, X0, X0

// func expSumMaxAVX2(t, h []float32, c, shift float32) (sum, mx float32)
TEXT ·expSumMaxAVX2(SB), NOSPLIT, $0-64
	MOVQ t_base+0(FP), SI
	MOVQ t_len+8(FP), CX
	MOVQ h_base+24(FP), BX
	SETUP2(c+48, shift+52)
	VXORPS       Y0, Y0, Y0
	VBROADCASTSS expc<>+32(SB), Y1

esm2_8:
	CMPQ CX, $8
	JL   esm2_done
	VMOVUPS     (BX), Y3
	VFMADD231PS (SI), Y6, Y3
	VMAXPS      Y3, Y1, Y1
	VSUBPS      Y7, Y3, Y3
	EXP2(Y3, Y4, Y5, Y2)
	VADDPS      Y2, Y0, Y0
	ADDQ        $32, SI
	ADDQ        $32, BX
	SUBQ        $8, CX
	JMP         esm2_8

esm2_done:
	HSUM2
	VEXTRACTF128 $1, Y1, X2
	VMAXPS       X2, X1, X1
	VPERMILPS    $0x4e, X1, X2
	VMAXPS       X2, X1, X1
	VPERMILPS    $0xb1, X1, X2
	VMAXPS       X2, X1, X1
	VMOVSS       X0, sum+56(FP)
	VMOVSS       X1, mx+60(FP)
	VZEROUPPER
	RET

// func expStoreAVX2(dst, t, h []float32, c, shift float32) (sum float32)
TEXT ·expStoreAVX2(SB), NOSPLIT, $0-84
	MOVQ dst_base+0(FP), DI
	MOVQ t_base+24(FP), SI
	MOVQ t_len+32(FP), CX
	MOVQ h_base+48(FP), BX
	SETUP2(c+72, shift+76)
	VXORPS Y0, Y0, Y0

est2_8:
	CMPQ CX, $8
	JL   est2_done
	VMOVUPS     (BX), Y3
	VFMADD231PS (SI), Y6, Y3
	VSUBPS      Y7, Y3, Y3
	EXP2(Y3, Y4, Y5, Y2)
	VMOVUPS     Y2, (DI)
	VADDPS      Y2, Y0, Y0
	ADDQ        $32, SI
	ADDQ        $32, BX
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         est2_8

est2_done:
	HSUM2
	VMOVSS X0, sum+80(FP)
	VZEROUPPER
	RET

// func lseDotAVX512(t, x, panel, h []float32, shift float32) (sum, mx float32)
// The fused dot and expSumMax (c = 1): u_j = h_j + sum_k x_k y_jk, for
// len(h) columns (a multiple of 16) in panels; t is unused.
TEXT ·lseDotAVX512(SB), NOSPLIT, $0-112
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), DX
	MOVQ panel_base+48(FP), BX
	MOVQ h_base+72(FP), DI
	MOVQ h_len+80(FP), CX
	VBROADCASTSS shift+96(FP), Z27
	VBROADCASTSS expc<>+0(SB), Z20
	VBROADCASTSS expc<>+4(SB), Z21
	VBROADCASTSS expc<>+8(SB), Z22
	VBROADCASTSS expc<>+12(SB), Z23
	VBROADCASTSS expc<>+16(SB), Z24
	VBROADCASTSS expc<>+20(SB), Z25
	MOVQ         DX, R12
	SHLQ         $6, R12
	LEAQ         (R12)(R12*2), R13
	VXORPS       Z0, Z0, Z0
	VXORPS       Z8, Z8, Z8
	VBROADCASTSS expc<>+32(SB), Z1
	VMOVAPS      Z1, Z9

ld512_64:
	CMPQ    CX, $64
	JL      ld512_16
	VMOVUPS (DI), Z10
	VMOVUPS 64(DI), Z11
	VMOVUPS 128(DI), Z12
	VMOVUPS 192(DI), Z13
	MOVQ    SI, R9
	MOVQ    BX, R10
	MOVQ    DX, R11

ld512_k64:
	VBROADCASTSS (R9), Z4
	VFMADD231PS  (R10), Z4, Z10
	VFMADD231PS  (R10)(R12*1), Z4, Z11
	VFMADD231PS  (R10)(R12*2), Z4, Z12
	VFMADD231PS  (R10)(R13*1), Z4, Z13
	ADDQ         $4, R9
	ADDQ         $64, R10
	DECQ         R11
	JNZ          ld512_k64
	VMAXPS       Z10, Z1, Z1
	VMAXPS       Z11, Z9, Z9
	VMAXPS       Z12, Z1, Z1
	VMAXPS       Z13, Z9, Z9
	VSUBPS       Z27, Z10, Z10
	VSUBPS       Z27, Z11, Z11
	VSUBPS       Z27, Z12, Z12
	VSUBPS       Z27, Z13, Z13
	EXP512(Z10, Z14, Z15)
	EXP512(Z11, Z16, Z17)
	EXP512(Z12, Z18, Z19)
	EXP512(Z13, Z28, Z29)
	VADDPS       Z15, Z0, Z0
	VADDPS       Z17, Z8, Z8
	VADDPS       Z19, Z0, Z0
	VADDPS       Z29, Z8, Z8
	ADDQ         $256, DI
	LEAQ         (BX)(R12*4), BX
	SUBQ         $64, CX
	JMP          ld512_64

ld512_16:
	CMPQ    CX, $16
	JL      ld512_done
	VMOVUPS (DI), Z10
	MOVQ    SI, R9
	MOVQ    BX, R10
	MOVQ    DX, R11

ld512_k16:
	VBROADCASTSS (R9), Z4
	VFMADD231PS  (R10), Z4, Z10
	ADDQ         $4, R9
	ADDQ         $64, R10
	DECQ         R11
	JNZ          ld512_k16
	VMAXPS       Z10, Z1, Z1
	VSUBPS       Z27, Z10, Z10
	EXP512(Z10, Z14, Z15)
	VADDPS       Z15, Z0, Z0
	ADDQ         $64, DI
	ADDQ         R12, BX
	SUBQ         $16, CX
	JMP          ld512_16

ld512_done:
	VADDPS Z8, Z0, Z0
	VMAXPS Z9, Z1, Z1
	HSUM512
	HMAX512
	VMOVSS X0, sum+104(FP)
	VMOVSS X1, mx+108(FP)
	VZEROUPPER
	RET

// func lseDotAVX2(t, x, panel, h []float32, shift float32) (sum, mx float32)
TEXT ·lseDotAVX2(SB), NOSPLIT, $0-112
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), DX
	MOVQ panel_base+48(FP), BX
	MOVQ h_base+72(FP), DI
	MOVQ h_len+80(FP), CX
	VBROADCASTSS shift+96(FP), Y7
	VBROADCASTSS expc<>+0(SB), Y8
	VBROADCASTSS expc<>+4(SB), Y9
	VBROADCASTSS expc<>+8(SB), Y10
	VBROADCASTSS expc<>+12(SB), Y11
	VBROADCASTSS expc<>+16(SB), Y12
	VBROADCASTSS expc<>+20(SB), Y13
	VBROADCASTSS expc<>+24(SB), Y14
	VBROADCASTSS expc<>+28(SB), Y15
	VXORPS       Y5, Y5, Y5
	VBROADCASTSS expc<>+32(SB), Y6

ld2_16:
	CMPQ    CX, $16
	JL      ld2_done
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	MOVQ    SI, R9
	MOVQ    BX, R10
	MOVQ    DX, R11

ld2_k16:
	VBROADCASTSS (R9), Y2
	VFMADD231PS  (R10), Y2, Y0
	VFMADD231PS  32(R10), Y2, Y1
	ADDQ         $4, R9
	ADDQ         $64, R10
	DECQ         R11
	JNZ          ld2_k16
	VMAXPS       Y0, Y6, Y6
	VMAXPS       Y1, Y6, Y6
	VSUBPS       Y7, Y0, Y0
	VSUBPS       Y7, Y1, Y1
	EXP2(Y0, Y2, Y3, Y4)
	VADDPS       Y4, Y5, Y5
	EXP2(Y1, Y2, Y3, Y4)
	VADDPS       Y4, Y5, Y5
	ADDQ         $64, DI
	MOVQ         R10, BX
	SUBQ         $16, CX
	JMP          ld2_16

ld2_done:
	VMOVAPS      Y5, Y0
	HSUM2
	VMOVAPS      Y6, Y1
	VEXTRACTF128 $1, Y1, X2
	VMAXPS       X2, X1, X1
	VPERMILPS    $0x4e, X1, X2
	VMAXPS       X2, X1, X1
	VPERMILPS    $0xb1, X1, X2
	VMAXPS       X2, X1, X1
	VMOVSS       X0, sum+104(FP)
	VMOVSS       X1, mx+108(FP)
	VZEROUPPER
	RET
