package colour

import (
	"cmp"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// gridSide is the number of cells per axis of the grid that extend searches
// the RGB cube [0,1]³ with.
const gridSide = 32

// extend fills the rows i of T whose mass is 0 (points no minibatch drew)
// with X_i + D(c), where c is the covered colour nearest X_i (squared
// Euclidean distance, ties to the covered colour that comes first in
// lexicographic RGB order) and D(c) the mean of T_j - X_j over the covered
// points j with X_j = c exactly. It returns the number of rows filled, on
// workers goroutines; the result does not depend on workers.
func extend(X, T *mat.Dense, mass []float64, workers int) int {
	var covered, uncovered []int
	for i, w := range mass {
		if w > 0 {
			covered = append(covered, i)
		} else {
			uncovered = append(uncovered, i)
		}
	}
	if len(uncovered) == 0 || len(covered) == 0 {
		return 0
	}
	pal := newPalette(X, T, covered)
	workers = max(1, min(workers, len(uncovered)))
	chunk := (len(uncovered) + workers - 1) / workers
	var wg sync.WaitGroup
	for start := 0; start < len(uncovered); start += chunk {
		part := uncovered[start:min(start+chunk, len(uncovered))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			memo := map[[3]float64]int{}
			for _, i := range part {
				x := X.RawRowView(i)
				q := [3]float64{x[0], x[1], x[2]}
				k, ok := memo[q]
				if !ok {
					k = pal.nearest(q)
					memo[q] = k
				}
				t := T.RawRowView(i)
				for c := range 3 {
					t[c] = x[c] + pal.disp[k][c]
				}
			}
		}()
	}
	wg.Wait()
	return len(uncovered)
}

// palette is the set of distinct covered colours, with the mean
// displacement of each and a uniform grid over [0,1]³ to search them.
type palette struct {
	colour, disp [][3]float64
	start        []int // cell c holds members[start[c]:start[c+1]]
	members      []int // colour indices, increasing within each cell
}

func newPalette(X, T *mat.Dense, covered []int) *palette {
	idx := slices.Clone(covered)
	row := func(i int) [3]float64 {
		x := X.RawRowView(i)
		return [3]float64{x[0], x[1], x[2]}
	}
	// By colour, then by row, so that each displacement is summed in row
	// order.
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmpColour(row(a), row(b)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	p := &palette{}
	var count float64
	for _, i := range idx {
		x, t := row(i), T.RawRowView(i)
		if l := len(p.colour) - 1; l < 0 || p.colour[l] != x {
			if l >= 0 {
				for c := range 3 {
					p.disp[l][c] /= count
				}
			}
			p.colour = append(p.colour, x)
			p.disp = append(p.disp, [3]float64{})
			count = 0
		}
		l := len(p.disp) - 1
		for c := range 3 {
			p.disp[l][c] += t[c] - x[c]
		}
		count++
	}
	l := len(p.disp) - 1
	for c := range 3 {
		p.disp[l][c] /= count
	}

	const cells = gridSide * gridSide * gridSide
	p.start = make([]int, cells+1)
	cellOf := make([]int, len(p.colour))
	for k, c := range p.colour {
		cellOf[k] = cellIndex(c)
		p.start[cellOf[k]+1]++
	}
	for c := 0; c < cells; c++ {
		p.start[c+1] += p.start[c]
	}
	p.members = make([]int, len(p.colour))
	fill := slices.Clone(p.start[:cells])
	for k, c := range cellOf {
		p.members[fill[c]] = k
		fill[c]++
	}
	return p
}

func cmpColour(a, b [3]float64) int {
	if c := cmp.Compare(a[0], b[0]); c != 0 {
		return c
	}
	if c := cmp.Compare(a[1], b[1]); c != 0 {
		return c
	}
	return cmp.Compare(a[2], b[2])
}

// cellCoord is the grid coordinate of a colour value, clipped to the grid.
func cellCoord(v float64) int {
	c := int(v * gridSide)
	return max(0, min(gridSide-1, c))
}

func cellIndex(x [3]float64) int {
	return (cellCoord(x[0])*gridSide+cellCoord(x[1]))*gridSide + cellCoord(x[2])
}

// scanMax is the palette size up to which nearest scans every colour
// instead of searching the grid, whose shells grow large around a sparse
// palette.
const scanMax = 256

// nearest returns the index of the palette colour nearest q, ties to the
// smallest index. It visits the cells in shells of growing Chebyshev
// radius r around q's cell and stops once the best distance is below
// r cell widths: every colour in a farther shell is at least that far.
func (p *palette) nearest(q [3]float64) int {
	best, bestD := -1, 0.0
	if len(p.colour) <= scanMax {
		for k, col := range p.colour {
			d := sq(col[0]-q[0]) + sq(col[1]-q[1]) + sq(col[2]-q[2])
			if best < 0 || d < bestD {
				best, bestD = k, d
			}
		}
		return best
	}
	c0 := [3]int{cellCoord(q[0]), cellCoord(q[1]), cellCoord(q[2])}
	const h = 1.0 / gridSide
	for r := 0; r < gridSide; r++ {
		for dx := -r; dx <= r; dx++ {
			x := c0[0] + dx
			if x < 0 || x >= gridSide {
				continue
			}
			for dy := -r; dy <= r; dy++ {
				y := c0[1] + dy
				if y < 0 || y >= gridSide {
					continue
				}
				edge := abs(dx) == r || abs(dy) == r
				for dz := -r; dz <= r; dz++ {
					if !edge && dz != -r && dz != r {
						continue
					}
					z := c0[2] + dz
					if z < 0 || z >= gridSide {
						continue
					}
					cell := (x*gridSide+y)*gridSide + z
					for _, k := range p.members[p.start[cell]:p.start[cell+1]] {
						col := p.colour[k]
						d := sq(col[0]-q[0]) + sq(col[1]-q[1]) + sq(col[2]-q[2])
						if best < 0 || d < bestD || (d == bestD && k < best) {
							best, bestD = k, d
						}
					}
				}
			}
		}
		// Strictly below, with a margin for the rounding of v·gridSide,
		// so that an equally near colour in the next shell cannot win a
		// tie it should.
		if best >= 0 && bestD < sq(float64(r)*h)*(1-1e-9) {
			break
		}
	}
	return best
}

func sq(v float64) float64 { return v * v }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
