//go:build amd64 && !purego

#include "textflag.h"

// Montgomery multiplication, squaring and reduction for montModulus
// (montgomery.go has the algorithms and their Go forms, mulRowsGeneric,
// sqrRowsGeneric and redcGeneric, which FuzzMontgomery holds these to).
//
// The inner loop of all three is one macro, ADDMUL. k mod 8 limbs go one
// at a time, then blocks of 8. Only MULX, ADCX, ADOX, MOV, LEA, JCXZ and JMP run while a carry chain is
// open, none of which touches CF or OF except as the chain means to; R10
// is zero throughout, to fold the two flags into the carry limb at the
// end. JCXZ cannot jump far, so each loop's exit code sits just above the
// loop.
//
// Registers: AX the count of blocks of 8; BX the rows left; R12, R13 the
// row pointers; R8, R11 scratch. BP, SP, R14 and R15 are not used.

// STEP adds x[off/8]*y to z[off/8]: MULX leaves the flags alone, ADCX
// carries through CF (the previous limb's high word) and ADOX through OF
// (z's limb), so the two carry chains run side by side.
#define STEP(off, hiIn, hiOut) \
	MULXQ off(SI), R8, hiOut; \
	ADCXQ hiIn, R8;           \
	ADOXQ off(DI), R8;        \
	MOVQ  R8, off(DI)

#define BLOCK8 \
	STEP(0, R9, R11);  \
	STEP(8, R11, R9);  \
	STEP(16, R9, R11); \
	STEP(24, R11, R9); \
	STEP(32, R9, R11); \
	STEP(40, R11, R9); \
	STEP(48, R9, R11); \
	STEP(56, R11, R9); \
	LEAQ  64(SI), SI;  \
	LEAQ  64(DI), DI

// ADDMUL is the inner loop: z[0:k] += x[0:k]·y for y in DX, z in DI, x in
// SI and k ≥ 1 in CX; it leaves the carry limb in R9, DI past z[k-1], and
// jumps to the label next, which each function defines right after it.
// Labels are local to a TEXT block, so each function's copy of the macro
// has its own.
#define ADDMUL \
	MOVQ CX, AX;             \
	ANDQ $7, CX;             \
	SHRQ $3, AX;             \
	XORQ R9, R9;             \
single:                      \
	JCXZQ blocks;            \
	STEP(0, R9, R11);        \
	MOVQ  R11, R9;           \
	LEAQ  8(SI), SI;         \
	LEAQ  8(DI), DI;         \
	LEAQ  -1(CX), CX;        \
	JMP   single;            \
blocks:                      \
	MOVQ AX, CX;             \
	JMP  block;              \
tail:                        \
	ADCXQ R10, R9;           \
	ADOXQ R10, R9;           \
	JMP   next;              \
block:                       \
	JCXZQ tail;              \
	BLOCK8;                  \
	LEAQ  -1(CX), CX;        \
	JMP   block

// func mulRowsADX(t, x, y *uint, n int)
//
// For each row i, t[i:i+n] += x·y[i] and t[i+n] = the carry limb: t += x·y,
// for t of 2n limbs whose top n are zero.
TEXT ·mulRowsADX(SB), NOSPLIT, $0-32
	MOVQ t+0(FP), R12
	MOVQ y+16(FP), R13
	MOVQ n+24(FP), BX
	XORQ R10, R10

row:
	MOVQ (R13), DX
	MOVQ R12, DI
	MOVQ x+8(FP), SI
	MOVQ n+24(FP), CX
	ADDMUL

next:
	MOVQ R9, (DI)
	LEAQ 8(R12), R12
	LEAQ 8(R13), R13
	DECQ BX
	JNZ  row
	RET

// func sqrRowsADX(t, x *uint, n int)
//
// t = x², for t of 2n zero limbs: the rows add x[i]·x[i+1:] at t[2i+1:]
// and put the carry at t[i+n] (every product below the diagonal once),
// then the diagonal pass doubles t (ADCX of each limb to itself, the top
// bit of one limb carried into the next) and adds x[i]² at t[2i] (ADOX).
TEXT ·sqrRowsADX(SB), NOSPLIT, $0-24
	XORQ R10, R10
	MOVQ t+0(FP), R12
	LEAQ 8(R12), R12
	MOVQ x+8(FP), R13
	MOVQ n+16(FP), BX
	DECQ BX
	JZ   diag

row:
	MOVQ (R13), DX
	MOVQ R12, DI
	LEAQ 8(R13), SI
	MOVQ BX, CX
	ADDMUL

next:
	MOVQ R9, (DI)
	LEAQ 16(R12), R12
	LEAQ 8(R13), R13
	DECQ BX
	JNZ  row

diag:
	MOVQ t+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

dloop:
	JCXZQ dend
	MOVQ  (SI), DX
	MULXQ DX, R8, R9
	MOVQ  0(DI), R11
	ADCXQ R11, R11
	ADOXQ R8, R11
	MOVQ  R11, 0(DI)
	MOVQ  8(DI), R11
	ADCXQ R11, R11
	ADOXQ R9, R11
	MOVQ  R11, 8(DI)
	LEAQ  8(SI), SI
	LEAQ  16(DI), DI
	LEAQ  -1(CX), CX
	JMP   dloop

dend:
	RET

// func redcADX(t, m *uint, n int, m0inv uint) (c uint)
//
// Word-by-word Montgomery reduction: for each row i, y = t[i]·m0inv,
// t[i:i+n] += m·y (which clears t[i]), and t[i+n] += the carry limb plus
// the carry bit of the row before (kept in R13); c is the last carry bit.
TEXT ·redcADX(SB), NOSPLIT, $0-40
	MOVQ t+0(FP), R12
	MOVQ n+16(FP), BX
	XORQ R10, R10
	XORQ R13, R13

row:
	MOVQ  (R12), DX
	IMULQ m0inv+24(FP), DX
	MOVQ  R12, DI
	MOVQ  m+8(FP), SI
	MOVQ  n+16(FP), CX
	ADDMUL

next:
	MOVQ (DI), R8
	XORQ R11, R11
	ADDQ R13, R8
	ADCQ $0, R11
	ADDQ R9, R8
	ADCQ $0, R11
	MOVQ R8, (DI)
	MOVQ R11, R13
	LEAQ 8(R12), R12
	DECQ BX
	JNZ  row
	MOVQ R13, c+32(FP)
	RET
