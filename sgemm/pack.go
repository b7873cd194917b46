package sgemm

// packA copies rows [ic, ic+rows) × depth [pc, pc+kc) of op(A) into ap as
// one micro-panel: kc steps of mr values, rows beyond rows zero.
func packA(ap []float32, p *problem, ic, rows, pc, kc, mr int) {
	dst := ap[:kc*mr]
	if p.aT { // op(A)[i, q] = a[q·lda + i]
		for q := 0; q < kc; q++ {
			src := p.a[(pc+q)*p.lda+ic:][:rows]
			d := dst[q*mr : q*mr+mr]
			copy(d, src)
			clear(d[rows:])
		}
		return
	}
	// op(A)[i, q] = a[i·lda + q]
	for r := 0; r < rows; r++ {
		src := p.a[(ic+r)*p.lda+pc:][:kc]
		for q, v := range src {
			dst[q*mr+r] = v
		}
	}
	if rows < mr {
		for q := 0; q < kc; q++ {
			clear(dst[q*mr+rows : q*mr+mr])
		}
	}
}

// packB copies depth [pc, pc+kc) × columns [jc, jc+nc) of op(B) into bp as
// micro-panels of nr columns, each kc steps of nr values, the columns
// beyond nc zero. The micro-panel of columns jc+jr starts at bp[jr·kc].
func packB(bp []float32, p *problem, pc, kc, jc, nc, nr int) {
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		dst := bp[jr*kc : jr*kc+kc*nr]
		if !p.bT { // op(B)[q, j] = b[q·ldb + j]
			for q := 0; q < kc; q++ {
				src := p.b[(pc+q)*p.ldb+jc+jr:][:cols]
				d := dst[q*nr : q*nr+nr]
				copy(d, src)
				clear(d[cols:])
			}
			continue
		}
		// op(B)[q, j] = b[j·ldb + q]
		for c := 0; c < cols; c++ {
			src := p.b[(jc+jr+c)*p.ldb+pc:][:kc]
			for q, v := range src {
				dst[q*nr+c] = v
			}
		}
		if cols < nr {
			for q := 0; q < kc; q++ {
				clear(dst[q*nr+cols : q*nr+nr])
			}
		}
	}
}
