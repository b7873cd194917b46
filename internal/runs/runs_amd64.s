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

// Split and Merge: row y of a w-wide plane (w even) against two half-rows
// of w/2 values at ph + rowOff[y] + even and ph + rowOff[y] + odd. Eight
// pairs move per vector: one 16-lane load, a permutation that puts the
// even columns in the low 8 lanes and the odd ones in the high 8, two 8-lane
// stores (and the reverse for Merge); the last t < 8 pairs with masks.

// splitIdx: lanes 0-7 take the even lanes of the source, 8-15 the odd ones.
DATA splitIdx<>+0(SB)/4, $0
DATA splitIdx<>+4(SB)/4, $2
DATA splitIdx<>+8(SB)/4, $4
DATA splitIdx<>+12(SB)/4, $6
DATA splitIdx<>+16(SB)/4, $8
DATA splitIdx<>+20(SB)/4, $10
DATA splitIdx<>+24(SB)/4, $12
DATA splitIdx<>+28(SB)/4, $14
DATA splitIdx<>+32(SB)/4, $1
DATA splitIdx<>+36(SB)/4, $3
DATA splitIdx<>+40(SB)/4, $5
DATA splitIdx<>+44(SB)/4, $7
DATA splitIdx<>+48(SB)/4, $9
DATA splitIdx<>+52(SB)/4, $11
DATA splitIdx<>+56(SB)/4, $13
DATA splitIdx<>+60(SB)/4, $15
GLOBL splitIdx<>(SB), RODATA|NOPTR, $64

// mergeIdx: lane 2i takes lane i (even half-row), 2i+1 lane 8+i (odd).
DATA mergeIdx<>+0(SB)/4, $0
DATA mergeIdx<>+4(SB)/4, $8
DATA mergeIdx<>+8(SB)/4, $1
DATA mergeIdx<>+12(SB)/4, $9
DATA mergeIdx<>+16(SB)/4, $2
DATA mergeIdx<>+20(SB)/4, $10
DATA mergeIdx<>+24(SB)/4, $3
DATA mergeIdx<>+28(SB)/4, $11
DATA mergeIdx<>+32(SB)/4, $4
DATA mergeIdx<>+36(SB)/4, $12
DATA mergeIdx<>+40(SB)/4, $5
DATA mergeIdx<>+44(SB)/4, $13
DATA mergeIdx<>+48(SB)/4, $6
DATA mergeIdx<>+52(SB)/4, $14
DATA mergeIdx<>+56(SB)/4, $7
DATA mergeIdx<>+60(SB)/4, $15
GLOBL mergeIdx<>(SB), RODATA|NOPTR, $64

// PAIRS loads the arguments Split and Merge share: DX = whole groups of 8
// pairs per row, R12 = the t remaining pairs, K2 their 8-lane mask and K1
// the 2t-lane one, R14 and BX = the even and odd offsets in bytes.
#define PAIRS \
	MOVQ  w+32(FP), DX      \
	SHRQ  $1, DX            \
	MOVQ  DX, R12           \
	ANDQ  $7, R12           \
	SHRQ  $3, DX            \
	MOVQ  R12, CX           \
	MOVL  $1, R10           \
	SHLL  CX, R10           \
	DECL  R10               \
	KMOVW R10, K2           \
	SHLQ  $1, CX            \
	MOVL  $1, R10           \
	SHLL  CX, R10           \
	DECL  R10               \
	KMOVW R10, K1           \
	MOVQ  even+40(FP), R14  \
	SHLQ  $2, R14           \
	MOVQ  odd+48(FP), BX    \
	SHLQ  $2, BX

// HALFROWS points R10 and R9 at the even and odd half-rows of the row whose
// offset R13 points at (AX = ph), and R11 at its count of whole groups.
#define HALFROWS \
	MOVLQSX (R13), R8       \
	LEAQ    (AX)(R8*4), R8  \
	LEAQ    (R8)(R14*1), R10 \
	LEAQ    (R8)(BX*1), R9  \
	MOVQ    DX, R11

// func splitAVX512(ph, plane *float32, rowOff *int32, h, w, even, odd int)
TEXT ·splitAVX512(SB), NOSPLIT, $0-56
	MOVQ      ph+0(FP), AX
	MOVQ      plane+8(FP), SI
	MOVQ      rowOff+16(FP), R13
	PAIRS
	MOVQ      h+24(FP), CX
	VMOVDQU32 splitIdx<>(SB), Z7

splitrow:
	HALFROWS

splitgroup:
	TESTQ         R11, R11
	JZ            splittail
	VPERMPS       (SI), Z7, Z0
	VMOVUPS       Y0, (R10)
	VEXTRACTF64X4 $1, Z0, Y1
	VMOVUPS       Y1, (R9)
	ADDQ          $64, SI
	ADDQ          $32, R10
	ADDQ          $32, R9
	DECQ          R11
	JMP           splitgroup

splittail:
	TESTQ         R12, R12
	JZ            splitnext
	VMOVUPS.Z     (SI), K1, Z0
	VPERMPS       Z0, Z7, Z0
	VMOVUPS       Y0, K2, (R10)
	VEXTRACTF64X4 $1, Z0, Y1
	VMOVUPS       Y1, K2, (R9)
	LEAQ          (SI)(R12*8), SI

splitnext:
	ADDQ $4, R13
	DECQ CX
	JNZ  splitrow
	VZEROUPPER
	RET

// func mergeAVX512(plane, ph *float32, rowOff *int32, h, w, even, odd int)
TEXT ·mergeAVX512(SB), NOSPLIT, $0-56
	MOVQ      plane+0(FP), DI
	MOVQ      ph+8(FP), AX
	MOVQ      rowOff+16(FP), R13
	PAIRS
	MOVQ      h+24(FP), CX
	VMOVDQU32 mergeIdx<>(SB), Z7

mergerow:
	HALFROWS

mergegroup:
	TESTQ        R11, R11
	JZ           mergetail
	VMOVUPS      (R10), Y0
	VINSERTF64X4 $1, (R9), Z0, Z0
	VPERMPS      Z0, Z7, Z0
	VMOVUPS      Z0, (DI)
	ADDQ         $64, DI
	ADDQ         $32, R10
	ADDQ         $32, R9
	DECQ         R11
	JMP          mergegroup

mergetail:
	TESTQ        R12, R12
	JZ           mergenext
	VMOVUPS.Z    (R10), K2, Y0
	VMOVUPS.Z    (R9), K2, Y1
	VINSERTF64X4 $1, Y1, Z0, Z0
	VPERMPS      Z0, Z7, Z0
	VMOVUPS      Z0, K1, (DI)
	LEAQ         (DI)(R12*8), DI

mergenext:
	ADDQ $4, R13
	DECQ CX
	JNZ  mergerow
	VZEROUPPER
	RET
