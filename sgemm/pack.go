package sgemm

// packA copies rows [ic, ic+rows) × depth [pc, pc+kc) of op(A), fewer
// than mr rows, into ap as mr zero-padded rows for the kernels of p.ch, and
// returns the copy and its leading dimension: for a rows chain, row r at
// ap[r·kc:]; for a steps chain, kc steps of mr values.
func packA(ap []float32, p *problem, ic, rows, pc, kc, mr int) ([]float32, int) {
	dst := ap[:kc*mr]
	if p.ch.rows {
		for r := 0; r < mr; r++ {
			d := dst[r*kc : r*kc+kc]
			if r >= rows {
				clear(d)
				continue
			}
			if p.aT {
				for q := range d {
					d[q] = p.a[(pc+q)*p.lda+ic+r]
				}
			} else {
				copy(d, p.a[(ic+r)*p.lda+pc:])
			}
		}
		return dst, kc
	}
	for q := 0; q < kc; q++ {
		d := dst[q*mr : q*mr+mr]
		if p.aT {
			copy(d, p.a[(pc+q)*p.lda+ic:][:rows])
		} else {
			for r := 0; r < rows; r++ {
				d[r] = p.a[(ic+r)*p.lda+pc+q]
			}
		}
		clear(d[rows:])
	}
	return dst, mr
}

// packB packs micro-panel j of op(B), columns [j·nr, j·nr+nr), into
// p.bp[j·k·nr:]: k steps of nr values, columns beyond n zero.
func packB(p *problem, j int) {
	nr := p.ch.ks[0].nr
	packBPanel(p.bp[j*p.k*nr:], p, 0, p.k, j*nr, min(nr, p.n-j*nr), nr)
}

// packBEdge copies depth [pc, pc+kc) × columns [jc, jc+cols) of op(B),
// fewer than nr, into bp as kc steps of nr values, the columns beyond cols
// zero.
func packBEdge(bp []float32, p *problem, pc, kc, jc, cols, nr int) {
	packBPanel(bp, p, pc, kc, jc, cols, nr)
}

// packBPanel copies depth [pc, pc+kc) × columns [jc, jc+cols) of op(B)
// into bp as kc steps of nr values, the columns beyond cols zero.
func packBPanel(bp []float32, p *problem, pc, kc, jc, cols, nr int) {
	dst := bp[:kc*nr]
	if p.bT { // op(B)[q, j] = b[j·ldb + q]
		c := 0
		for ; c+8 <= cols; c += 8 {
			// Eight columns at a time: eight rows of b read in step, eight
			// adjacent values written.
			r0 := p.b[(jc+c)*p.ldb+pc:][:kc]
			r1 := p.b[(jc+c+1)*p.ldb+pc:][:kc]
			r2 := p.b[(jc+c+2)*p.ldb+pc:][:kc]
			r3 := p.b[(jc+c+3)*p.ldb+pc:][:kc]
			r4 := p.b[(jc+c+4)*p.ldb+pc:][:kc]
			r5 := p.b[(jc+c+5)*p.ldb+pc:][:kc]
			r6 := p.b[(jc+c+6)*p.ldb+pc:][:kc]
			r7 := p.b[(jc+c+7)*p.ldb+pc:][:kc]
			for q := range r0 {
				d := (*[8]float32)(dst[q*nr+c:])
				d[0], d[1], d[2], d[3] = r0[q], r1[q], r2[q], r3[q]
				d[4], d[5], d[6], d[7] = r4[q], r5[q], r6[q], r7[q]
			}
		}
		for ; c < cols; c++ {
			src := p.b[(jc+c)*p.ldb+pc:][:kc]
			for q, v := range src {
				dst[q*nr+c] = v
			}
		}
		if cols < nr {
			for q := 0; q < kc; q++ {
				clear(dst[q*nr+cols : q*nr+nr])
			}
		}
		return
	}
	// op(B)[q, j] = b[q·ldb + j]: rows of nr values, copied as arrays (the
	// compiler moves them inline; copy would call memmove for each row).
	b := p.b[pc*p.ldb+jc:]
	switch {
	case cols == 64 && nr == 64:
		for q := 0; q < kc; q++ {
			*(*[64]float32)(dst[q*64:]) = *(*[64]float32)(b[q*p.ldb:])
		}
	case cols == 32 && nr == 32:
		for q := 0; q < kc; q++ {
			*(*[32]float32)(dst[q*32:]) = *(*[32]float32)(b[q*p.ldb:])
		}
	case cols == 16 && nr == 16:
		for q := 0; q < kc; q++ {
			*(*[16]float32)(dst[q*16:]) = *(*[16]float32)(b[q*p.ldb:])
		}
	default:
		for q := 0; q < kc; q++ {
			d := dst[q*nr : q*nr+nr]
			copy(d, b[q*p.ldb:][:cols])
			clear(d[cols:])
		}
	}
}
