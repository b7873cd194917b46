//go:build amd64 && !purego

#include "textflag.h"

// Both functions walk nb examples (stride values apart in the strided
// block) of oh runs of ow values (pitch values apart); the packed block
// holds the runs one after the other. Whole groups of 16 values move with
// plain vector loads and stores, a run's tail with a lane mask.

// LAYOUT loads the arguments both functions share: R13 = nb, BX = stride
// and R8 = pitch in bytes, DX = whole 16-value groups per run, R9 = the
// run's remaining values and K1 their lane mask.
#define LAYOUT \
	MOVQ  nb+16(FP), R13     \
	MOVQ  stride+24(FP), BX  \
	SHLQ  $2, BX             \
	MOVQ  ow+40(FP), DX      \
	MOVQ  pitch+48(FP), R8   \
	SHLQ  $2, R8             \
	MOVQ  DX, CX             \
	ANDQ  $15, CX            \
	MOVQ  CX, R9             \
	MOVL  $1, R10            \
	SHLL  CX, R10            \
	DECL  R10                \
	KMOVW R10, K1            \
	SHRQ  $4, DX

// func copyAVX512(dst, src *float32, nb, stride, oh, ow, pitch int)
// dst[(j·oh+oy)·ow+i] = src[j·stride+oy·pitch+i]
TEXT ·copyAVX512(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), AX
	LAYOUT
	MOVQ oh+32(FP), CX

copyex:
	TESTQ R13, R13
	JZ    copydone
	MOVQ  AX, SI
	MOVQ  CX, R10

copyrow:
	TESTQ R10, R10
	JZ    copynextex
	MOVQ  SI, R11
	MOVQ  DX, R12

copyfull:
	TESTQ   R12, R12
	JZ      copytail
	VMOVUPS (R11), Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, R11
	ADDQ    $64, DI
	DECQ    R12
	JMP     copyfull

copytail:
	TESTQ     R9, R9
	JZ        copynext
	VMOVUPS.Z (R11), K1, Z0
	VMOVUPS   Z0, K1, (DI)
	LEAQ      (DI)(R9*4), DI

copynext:
	ADDQ R8, SI
	DECQ R10
	JMP  copyrow

copynextex:
	ADDQ BX, AX
	DECQ R13
	JMP  copyex

copydone:
	VZEROUPPER
	RET

// func addAVX512(dst, src *float32, nb, stride, oh, ow, pitch, tailw int)
// dst[j·stride+oy·pitch+i] += src[(j·oh+oy)·ow+i]. A run's tail (ow mod 16
// values) moves as a masked vector of tailw = 4, 8 or 16 lanes, the
// narrowest that holds it: its bytes then stay within the run's pitch, so
// the next run's load does not overlap the masked store, which AMD CPUs do
// not forward.
TEXT ·addAVX512(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), AX
	MOVQ src+8(FP), SI
	LAYOUT
	MOVQ tailw+56(FP), CX

addex:
	TESTQ R13, R13
	JZ    adddone
	MOVQ  AX, DI
	MOVQ  oh+32(FP), R10

addrow:
	TESTQ R10, R10
	JZ    addnextex
	MOVQ  DI, R11
	MOVQ  DX, R12

addfull:
	TESTQ   R12, R12
	JZ      addtail
	VMOVUPS (SI), Z0
	VADDPS  (R11), Z0, Z0
	VMOVUPS Z0, (R11)
	ADDQ    $64, R11
	ADDQ    $64, SI
	DECQ    R12
	JMP     addfull

addtail:
	TESTQ R9, R9
	JZ    addnext
	CMPQ  CX, $4
	JEQ   addtail4
	CMPQ  CX, $8
	JEQ   addtail8
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (R11), K1, Z1
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (R11)
	JMP       addtailed

addtail8:
	VMOVUPS.Z (SI), K1, Y0
	VMOVUPS.Z (R11), K1, Y1
	VADDPS    Y1, Y0, Y0
	VMOVUPS   Y0, K1, (R11)
	JMP       addtailed

addtail4:
	VMOVUPS.Z (SI), K1, X0
	VMOVUPS.Z (R11), K1, X1
	VADDPS    X1, X0, X0
	VMOVUPS   X0, K1, (R11)

addtailed:
	LEAQ (SI)(R9*4), SI

addnext:
	ADDQ R8, DI
	DECQ R10
	JMP  addrow

addnextex:
	ADDQ BX, AX
	DECQ R13
	JMP  addex

adddone:
	VZEROUPPER
	RET
