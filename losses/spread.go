package losses

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"otgen/models"
)

// Collective is what an objective needs from a communicator when each of
// Size ranks of a data-parallel job holds 1/Size of every batch (package
// dist's Comm provides it, through package train; losses does not import
// dist).
type Collective interface {
	// Rank is this rank, 0 <= Rank < Size.
	Rank() int
	// Size is the number of ranks.
	Size() int
	// Gather writes every rank's src, in rank order, into dst on every
	// rank (len(dst) = Size·len(src)).
	Gather(dst, src []float64) error
	// Sum replaces buf on every rank by the element-wise sum over the
	// ranks, the same on every rank, bit for bit.
	Sum(buf []float64) error
}

// NewSpread is New for one rank of a data-parallel job of coll.Size()
// ranks, each of which holds batch examples of a global batch of
// coll.Size()·batch: rank r holds rows r·batch, ..., (r+1)·batch−1 of every
// global batch. The settings are checked against the global batch
// (minibatch-w's m may be up to the global batch). With a nil coll or one
// rank it is New.
//
// The terms that are means over the examples (reconstructions, ELBOs,
// critic values, gradient penalties) need nothing: the training loop
// averages every rank's gradients. The terms that couple the examples of a
// batch — the OT losses (minibatch-w, sinkhorn) and WAE-MMD's penalty —
// gather the global batch from every rank (one allgather of the generated
// and the data points) and compute the same global value on every rank:
//
//   - minibatch-w spreads its k pairs over the ranks (dist's contiguous
//     split) and sums their values and gradients with one allreduce: the
//     estimator of Fatras et al. (2020) eq. 4 is an average over pairs,
//     so the result is the one-process estimator with the same pairs;
//   - the Sinkhorn divergence and the MMD penalty are computed in full on
//     every rank from the gathered batch, so the objective stays that of
//     the global batch (their bias depends on the batch size) at the price
//     of the same O(B²) work on every rank.
//
// Each rank's gradient with respect to its own rows is then scaled by
// Size, so that the loop's average over the ranks is the gradient of the
// global term.
func NewSpread(c Config, m *models.Model, batch int, coll Collective) (*Objective, error) {
	if coll == nil || coll.Size() == 1 {
		return New(c, m, batch)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := c.CheckBatch(batch * coll.Size()); err != nil {
		return nil, err
	}
	s, _ := Lookup(c.Name)
	steps, err := s.Build(c, m, batch)
	if err != nil {
		return nil, fmt.Errorf("losses: %s: %w", s.Name, err)
	}
	o := &Objective{Steps: steps}
	o.spread(coll)
	return o, nil
}

// spread makes the point losses of the objective's steps see the global
// batch (see NewSpread).
func (o *Objective) spread(c Collective) {
	for _, st := range o.Steps {
		for _, n := range st.Graph.G.AllNodes() {
			if op, ok := n.Op().(*pointLossOp); ok {
				op.spread = c
			}
		}
	}
}

// sharedFunc is a pointFunc whose value is an average over pairs that the
// ranks of a job can share: evalShare returns the value and gradients of
// the pairs of share [lo, hi) of the pairs of one rank, the terms still
// divided by the number of pairs, so that the shares of all ranks add up
// to eval's results.
type sharedFunc interface {
	pointFunc
	pairs() int
	evalShare(x, y []float64, n, m, d int, gx, gy []float64, lo, hi int) (float64, error)
}

// spreadBufs are the buffers of a spread point loss.
type spreadBufs struct {
	send, recv []float64
	X, Y       []float64 // the global batch
	gX, gY     []float64 // gradients w.r.t. the global batch
	red        []float64 // status, value and gradients, summed over ranks
}

// doSpread is Do on a batch spread over ranks: op.x (n×d) and op.y (m×d)
// are this rank's rows. See NewSpread.
func (op *pointLossOp) doSpread(n, m, d int) (G.Value, error) {
	c, b := op.spread, &op.sp
	size, rank := c.Size(), c.Rank()
	name := op.f.name()
	b.send = append(append(b.send[:0], op.x...), op.y...)
	b.recv = resize(b.recv, size*len(b.send))
	if err := c.Gather(b.recv, b.send); err != nil {
		return nil, fmt.Errorf("%s: gather the batch: %w", name, err)
	}
	N, M := size*n, size*m
	b.X, b.Y = resize(b.X, N*d), resize(b.Y, M*d)
	per := (n + m) * d
	for r := 0; r < size; r++ {
		copy(b.X[r*n*d:(r+1)*n*d], b.recv[r*per:r*per+n*d])
		copy(b.Y[r*m*d:(r+1)*m*d], b.recv[r*per+n*d:(r+1)*per])
	}
	// Every rank checks the same global batch, so every rank fails alike.
	for i, side := range [][]float64{b.X, b.Y} {
		for _, v := range side {
			if !finite(v) {
				return nil, fmt.Errorf("%s: %w in its input %d", name, ErrNonFinite, i)
			}
		}
	}
	b.gX, b.gY = resize(b.gX, N*d), resize(b.gY, M*d)
	var v float64
	if sf, ok := op.f.(sharedFunc); ok {
		// This rank's pairs, then one allreduce of [failures, value,
		// gradients]: a rank whose pairs fail still joins it, so that
		// every rank learns of the failure at the same collective.
		lo, hi := splitRange(sf.pairs(), size, rank)
		var err error
		if lo < hi {
			v, err = sf.evalShare(b.X, b.Y, N, M, d, b.gX, b.gY, lo, hi)
		} else {
			clear(b.gX)
			clear(b.gY)
		}
		b.red = resize(b.red, 2+len(b.gX)+len(b.gY))
		b.red[0], b.red[1] = 0, v
		if err != nil {
			b.red[0], b.red[1] = 1, 0
			clear(b.red[2:])
		} else {
			copy(b.red[2:], b.gX)
			copy(b.red[2+len(b.gX):], b.gY)
		}
		if serr := c.Sum(b.red); serr != nil {
			return nil, fmt.Errorf("%s: sum the pairs: %w", name, serr)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: pairs [%d, %d): %w", name, lo, hi, err)
		}
		if b.red[0] != 0 {
			return nil, fmt.Errorf("%s: the pairs of another rank failed", name)
		}
		v = b.red[1]
		copy(b.gX, b.red[2:2+len(b.gX)])
		copy(b.gY, b.red[2+len(b.gX):])
	} else {
		var err error
		if v, err = op.f.eval(b.X, b.Y, N, M, d, b.gX, b.gY); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if !finite(v) {
		return nil, fmt.Errorf("%s: %w (the loss is %v)", name, ErrNonFinite, v)
	}
	// This rank's rows, scaled so that the average over the ranks of
	// their parameter gradients is the global term's.
	op.gx, op.gy = resize(op.gx, n*d), resize(op.gy, m*d)
	s := float64(size)
	for i, g := range b.gX[rank*n*d : (rank+1)*n*d] {
		op.gx[i] = s * g
	}
	for i, g := range b.gY[rank*m*d : (rank+1)*m*d] {
		op.gy[i] = s * g
	}
	if op.dt == tensor.Float32 {
		return G.NewF32(float32(v)), nil
	}
	return G.NewF64(v), nil
}

// splitRange is rank's part [lo, hi) of [0, n) spread over size ranks:
// contiguous blocks in rank order, the first n mod size ranks holding one
// item more (the split of dist.Split).
func splitRange(n, size, rank int) (lo, hi int) {
	q, r := n/size, n%size
	lo = rank*q + min(rank, r)
	hi = lo + q
	if rank < r {
		hi++
	}
	return lo, hi
}
