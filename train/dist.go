package train

// Synchronous data-parallel training (DESIGN.md, "Scale-out (MPI)").
//
// A run whose Config.Comm has N > 1 ranks is one of N processes that train
// the same model in lockstep:
//
//   - Every rank builds the same run from the same seed; rank 0's initial
//     parameters are broadcast to the others (New), or every rank reads the
//     same checkpoint (Resume; the ranks compare a checksum of the state).
//   - --batch B is the global batch. Every rank keeps the same global
//     batcher and random generator: it draws the example indices and the
//     noise of the whole global batch, then keeps its own rows r·B/N, ...,
//     (r+1)·B/N−1 (reading only those examples of a file dataset): the
//     shards and noise of the ranks are reproducible from the seed and the
//     rank, and together they are exactly what one process with batch B
//     draws. Noise tensors whose first dimension is the per-rank batch are
//     per-example and sharded; the others (minibatch-w's pair seed) are the
//     same on every rank. Drawing the global noise costs every rank O(B)
//     random numbers per step (about 10 ms for 4096×64 normals).
//   - Each step's graph runs on B/N examples; then ONE allreduce (sum) of a
//     buffer that packs every parameter gradient of the step, the model's
//     buffers (BatchNorm's running statistics), the step's metrics, every
//     rank's outcome and its stop request, averages the gradients, buffers
//     and metrics over the ranks. Every rank applies the same optimiser
//     step to the same parameters, so they stay identical, bit for bit; a
//     checksum of the whole training state is compared every checkEvery
//     iterations and at the end, and a difference stops the job with a
//     message.
//   - The batch-coupled loss terms (OT losses, WAE-MMD's penalty) see the
//     global batch through losses.NewSpread.
//   - Rank 0 alone writes: checkpoints (which record N), metrics, figures,
//     progress, config.json, and it alone evaluates. The other ranks only
//     train (follow).
//   - An error that one rank meets during a step (a NaN, a failed graph
//     run) travels in the allreduce, so every rank stops at the same step
//     with the same error (marked dist.Shared). Cancellation (Ctrl-C,
//     SIGTERM) travels the same way: every rank stops after the same step
//     and rank 0 writes the checkpoint.
//
// With one rank (no Comm, or dist.Single) the same code runs: the
// collectives return at once and nothing is copied.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"gorgonia.org/tensor"

	"otgen/data"
	"otgen/dist"
	"otgen/losses"
)

// distCheckEvery is how often (in iterations) the ranks of a job compare
// the checksums of their training states.
const distCheckEvery = 100

// distRun is the data-parallel side of a run.
type distRun struct {
	comm        *dist.Comm
	rank, size  int
	local       int       // examples per rank
	global      []float32 // a global batch of data, for the sharded copy
	noise       [][]losses.Noise
	noiseCopies [][]noiseCopy
	// fused holds each step's allreduce buffer; metrics each step's
	// metric values after the last run (averaged over the ranks).
	fused   [][]float32
	metrics [][]float64
	ctx     context.Context
	stop    bool // every rank agreed to stop after this iteration
	// checkEvery is the period of the state checksums (distCheckEvery;
	// tests shorten it).
	checkEvery int
	// ckptRanks is the rank count recorded in the checkpoint this run was
	// resumed from (0 for a new run, 1 for a checkpoint of one process).
	ckptRanks int
	// onReduce, when not nil, receives the time of each fused allreduce
	// (benchmarks).
	onReduce func(time.Duration)
}

// noiseCopy copies this rank's rows of a global noise tensor into the
// step's own. A row-constant noise (RowUnit) is drawn as one column and
// spread over its row.
type noiseCopy struct {
	global, local *tensor.Dense
	rowConst      bool
}

// newDistRun checks that the global batch spreads evenly over the ranks.
func newDistRun(cfg Config) (*distRun, error) {
	c := cfg.Comm
	if c == nil {
		c = dist.Single()
	}
	d := &distRun{comm: c, rank: c.Rank(), size: c.Size(), checkEvery: distCheckEvery}
	if cfg.Batch%d.size != 0 || cfg.Batch/d.size < 2 {
		return nil, fmt.Errorf("train: batch %d does not spread over %d ranks: the global batch must be a multiple of the rank count with at least 2 examples per rank", cfg.Batch, d.size)
	}
	if d.size > 1 && cfg.TimeBudget > 0 {
		// Rank 0 alone measures time: the ranks could not agree on the
		// last step.
		return nil, fmt.Errorf("train: a time budget (%v s) is not supported on %d ranks: give a number of steps", cfg.TimeBudget, d.size)
	}
	d.local = cfg.Batch / d.size
	return d, nil
}

// lossComm adapts a communicator to losses.Collective.
type lossComm struct{ c *dist.Comm }

func (l lossComm) Rank() int                       { return l.c.Rank() }
func (l lossComm) Size() int                       { return l.c.Size() }
func (l lossComm) Gather(dst, src []float64) error { return l.c.AllgatherFloat64(dst, src) }
func (l lossComm) Sum(buf []float64) error         { return l.c.AllreduceFloat64(buf, dist.Sum) }

// collective is the communicator of the losses' batch-coupled terms (nil
// with one rank).
func (d *distRun) collective() losses.Collective {
	if d.size == 1 {
		return nil
	}
	return lossComm{d.comm}
}

// prepare allocates the buffers of the run's steps.
func (d *distRun) prepare(r *Run) {
	d.metrics = make([][]float64, len(r.obj.Steps))
	for i, st := range r.obj.Steps {
		d.metrics[i] = make([]float64, len(st.Metrics))
	}
	if d.size == 1 {
		for _, st := range r.obj.Steps {
			d.noise = append(d.noise, st.Noise)
		}
		return
	}
	d.global = make([]float32, r.Config.Batch*r.Config.Model.DataDim())
	nbuf := 0
	for _, name := range r.Model.Store.Buffers() {
		v, _ := r.Model.Store.Value(name)
		nbuf += v.Shape().TotalSize()
	}
	for _, st := range r.obj.Steps {
		var ns []losses.Noise
		var cs []noiseCopy
		for _, n := range st.Noise {
			s := n.T.Shape()
			if len(s) >= 2 && s[0] == d.local {
				gs := append([]int{d.size * d.local}, s[1:]...)
				rowConst := n.Dist == losses.RowUnit
				if rowConst {
					// One draw per row, as for the full tensor.
					gs = []int{d.size * d.local, 1}
				}
				g := tensor.New(tensor.Of(n.T.Dtype()), tensor.WithShape(gs...))
				ns = append(ns, losses.Noise{T: g, Dist: n.Dist})
				cs = append(cs, noiseCopy{global: g, local: n.T, rowConst: rowConst})
			} else {
				ns = append(ns, n)
			}
		}
		d.noise = append(d.noise, ns)
		d.noiseCopies = append(d.noiseCopies, cs)
		size := nbuf + len(st.Metrics) + d.size + 1
		for _, p := range st.Params {
			size += p.Shape().TotalSize()
		}
		d.fused = append(d.fused, make([]float32, size))
	}
}

// batch fills dst with this rank's rows of the next global batch of src.
func (d *distRun) batch(src *source, dst []float32) error {
	if d.size == 1 {
		return src.batcher.Next(dst)
	}
	if err := src.batcher.Next(d.global); err != nil {
		return err
	}
	lo := d.rank * len(dst)
	if src.train == nil { // generated data: the whole batch was drawn
		copy(dst, d.global[lo:lo+len(dst)])
		return nil
	}
	// The batcher drew example indices (indexSet): read this rank's rows.
	dim := len(dst) / d.local
	for k := 0; k < d.local; k++ {
		i := int(math.Float32bits(d.global[lo+k*dim]))
		src.train.Example(i, dst[k*dim:(k+1)*dim])
	}
	return nil
}

// shardBatcher returns the training batcher of a file dataset. With one
// rank it reads tr. With several it runs over indexSet{tr} (the same
// sequence of examples, global batch by global batch, with the same state
// for checkpoints) and returns tr, from which each rank reads only its own
// rows: no rank converts the whole global batch.
func shardBatcher(cfg Config, tr data.Dataset, seed uint64) (data.Batcher, data.Dataset, error) {
	if cfg.Comm == nil || cfg.Comm.Size() == 1 {
		b, err := data.NewShuffleBatcher(tr, cfg.Batch, seed)
		return b, nil, err
	}
	b, err := data.NewShuffleBatcher(indexSet{tr}, cfg.Batch, seed)
	return b, tr, err
}

// indexSet is a dataset whose examples hold their own index: Example
// writes the bits of i into dst[0] and nothing else.
type indexSet struct{ data.Dataset }

func (s indexSet) Example(i int, dst []float32) { dst[0] = math.Float32frombits(uint32(i)) }

// fillNoise refills step i's noise tensors: this rank's rows of the global
// draws.
func (d *distRun) fillNoise(r *Run, i int) {
	r.fillNoise(r.rng, d.noise[i])
	if d.size == 1 {
		return
	}
	for _, c := range d.noiseCopies[i] {
		l := c.local.Data().([]float32)
		g := c.global.Data().([]float32)
		if c.rowConst {
			cols := len(l) / d.local
			for k, v := range g[d.rank*d.local : (d.rank+1)*d.local] {
				row := l[k*cols : (k+1)*cols]
				for j := range row {
					row[j] = v
				}
			}
			continue
		}
		copy(l, g[d.rank*len(l):(d.rank+1)*len(l)])
	}
}

// Outcomes of a rank's step, in the fused buffer.
const (
	stepOK        = 0
	stepNonFinite = 1
	stepFailed    = 2
)

// reduce ends the local part of step i, whose graph run ended with runErr:
// with several ranks it averages the step's gradients, the model's buffers
// and the metrics over the ranks in one allreduce, which also carries every
// rank's outcome and stop request. It returns an error, the same on every
// rank, if any rank failed.
func (d *distRun) reduce(r *Run, i int, runErr error) error {
	st := r.obj.Steps[i]
	if d.size == 1 {
		if runErr != nil {
			return runErr
		}
		for j, mt := range st.Metrics {
			v, err := scalarValue(mt.Node)
			if err != nil {
				return err
			}
			d.metrics[i][j] = v
		}
		return nil
	}
	buf := d.fused[i]
	clear(buf)
	status := float32(stepOK)
	if runErr != nil {
		status = stepFailed
		if errors.Is(runErr, ErrNonFinite) {
			status = stepNonFinite
		}
	}
	// Pack: gradients, buffers, metrics, outcomes, stop.
	k := 0
	for _, p := range st.Params {
		g, err := gradData(p.Grad())
		n := p.Shape().TotalSize()
		if runErr == nil && err != nil {
			status, runErr = stepFailed, fmt.Errorf("train: gradient of %s: %w", p.Name(), err)
		}
		if runErr == nil {
			copy(buf[k:k+n], g)
		}
		k += n
	}
	for _, name := range r.Model.Store.Buffers() {
		v, _ := r.Model.Store.Value(name)
		k += copy(buf[k:], v.Data().([]float32))
	}
	for _, mt := range st.Metrics {
		if runErr == nil {
			v, err := scalarValue(mt.Node)
			if err != nil {
				status, runErr = stepFailed, err
			}
			buf[k] = float32(v)
		}
		k++
	}
	buf[k+d.rank] = status
	if d.ctx != nil && d.ctx.Err() != nil {
		buf[k+d.size] = 1
	}
	var t0 time.Time
	if d.onReduce != nil {
		t0 = time.Now()
	}
	if err := d.comm.AllreduceFloat32(buf, dist.Sum); err != nil {
		return fmt.Errorf("train: step %s: %w", st.Name, err)
	}
	if d.onReduce != nil {
		d.onReduce(time.Since(t0))
	}
	// Outcomes first: a failure anywhere stops every rank.
	failed, nonFinite := false, true
	for rk := 0; rk < d.size; rk++ {
		switch buf[k+rk] {
		case stepOK:
		case stepNonFinite:
			failed = true
		default:
			failed, nonFinite = true, false
		}
	}
	if failed {
		// Every rank learns every failing rank's message.
		err := d.comm.Check(runErr)
		if err == nil {
			err = fmt.Errorf("train: step %s: a rank reported a failure that it then did not report", st.Name)
		}
		return dist.Shared(&stepFailure{text: err.Error(), nonFinite: nonFinite})
	}
	d.stop = buf[k+d.size] > 0
	inv := 1 / float32(d.size)
	k = 0
	for _, p := range st.Params {
		g, _ := gradData(p.Grad())
		for j := range g {
			g[j] = buf[k+j] * inv
		}
		k += len(g)
	}
	for _, name := range r.Model.Store.Buffers() {
		v, _ := r.Model.Store.Value(name)
		b := v.Data().([]float32)
		for j := range b {
			b[j] = buf[k+j] * inv
		}
		k += len(b)
	}
	for j := range st.Metrics {
		d.metrics[i][j] = float64(buf[k+j] * inv)
	}
	return nil
}

// stepFailure is the error of a step that failed on some rank, the same on
// every rank.
type stepFailure struct {
	text      string
	nonFinite bool
}

func (e *stepFailure) Error() string { return e.text }

// Is makes a failure whose ranks all met non-finite values an
// ErrNonFinite.
func (e *stepFailure) Is(target error) bool { return e.nonFinite && target == ErrNonFinite }

// gradData returns the float32 data of a gradient value.
func gradData(v any, err error) ([]float32, error) {
	if err != nil {
		return nil, err
	}
	t, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("gradient is %T", v)
	}
	g, ok := t.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("gradient of type %T", t.Data())
	}
	return g, nil
}

// start records the context of Train and reports whether this rank only
// follows (every rank but 0 of a job).
func (d *distRun) start(ctx context.Context) bool {
	d.ctx = ctx
	return d.rank != 0
}

// interrupted reports whether training must stop before the next
// iteration: ctx is done (one rank), or some rank's context was done at
// the last allreduce (several ranks: all of them stop at the same step).
func (d *distRun) interrupted(ctx context.Context) bool {
	if d.size == 1 {
		return ctx.Err() != nil
	}
	return d.stop
}

// follow is Train on the ranks other than 0: the same iterations, without
// files, evaluation or progress.
func (r *Run) follow(ctx context.Context) error {
	for r.step < r.Config.Steps {
		if r.dist.interrupted(ctx) {
			return ErrInterrupted
		}
		if err := r.iterate(); err != nil {
			return err
		}
	}
	return nil
}

// afterIterate compares the ranks' training states every checkEvery
// iterations and after the last one.
func (d *distRun) afterIterate(r *Run) error {
	if d.size == 1 || (r.step%d.checkEvery != 0 && r.step != r.Config.Steps) {
		return nil
	}
	return d.compare(r, fmt.Sprintf("after step %d", r.step))
}

// compare checks that every rank holds the same training state as rank 0.
func (d *distRun) compare(r *Run, when string) error {
	h, err := r.stateHash()
	if err != nil {
		return err
	}
	var own [8]byte
	binary.LittleEndian.PutUint64(own[:], h)
	all := make([]byte, 8*d.size)
	if err := d.comm.AllgatherBytes(all, own[:]); err != nil {
		return fmt.Errorf("train: compare the ranks' states: %w", err)
	}
	var differ []int
	for rk := 1; rk < d.size; rk++ {
		if binary.LittleEndian.Uint64(all[8*rk:]) != binary.LittleEndian.Uint64(all[:8]) {
			differ = append(differ, rk)
		}
	}
	if len(differ) > 0 {
		return dist.Shared(fmt.Errorf("train: the training state of %s differs from rank 0's %s (parameters, optimiser state, random or data position): the ranks drifted apart or started from different checkpoints (different builds or libraries on the nodes, or a run folder that is not shared?); stopping",
			dist.RankList(differ, d.size), when))
	}
	return nil
}

// stateHash is a checksum of everything that must be the same on every
// rank: parameters and buffers, optimiser moments and step counts, the
// step, the random state and the data position.
func (r *Run) stateHash() (uint64, error) {
	h := uint64(0x6f7467656e)
	mix := func(v uint64) { h = (h ^ v) * 0x100000001b3 }
	words := func(s []float32) {
		for _, v := range s {
			mix(uint64(math.Float32bits(v)))
		}
	}
	bytes := func(b []byte) {
		for _, v := range b {
			mix(uint64(v))
		}
	}
	for _, t := range r.Model.Store.Tensors() {
		words(t.Data)
	}
	for _, o := range r.opts {
		mix(uint64(o.T))
		for _, m := range o.M {
			words(m)
		}
		for _, v := range o.V {
			words(v)
		}
	}
	mix(uint64(r.step))
	rng, err := r.pcg.MarshalBinary()
	if err != nil {
		return 0, fmt.Errorf("train: rng state: %w", err)
	}
	bytes(rng)
	bs, err := r.src.batcher.State()
	if err != nil {
		return 0, fmt.Errorf("train: batcher state: %w", err)
	}
	bytes(bs)
	return h, nil
}

// shareInitial gives every rank rank 0's initial parameters and buffers,
// in one broadcast.
func (d *distRun) shareInitial(r *Run) error {
	if d.size == 1 {
		return nil
	}
	ts := r.Model.Store.Tensors()
	n := 0
	for _, t := range ts {
		n += len(t.Data)
	}
	buf := make([]float32, 0, n)
	for _, t := range ts {
		buf = append(buf, t.Data...)
	}
	if err := d.comm.BroadcastFloat32(buf, 0); err != nil {
		return fmt.Errorf("train: broadcast the initial parameters: %w", err)
	}
	for _, t := range ts {
		buf = buf[copy(t.Data, buf):]
	}
	return nil
}

// checkRanks is a collective check after every rank tried to build the
// run r: with several ranks, every rank returns the same error if any rank
// failed (a rank that cannot read its data fails the job with its
// message). It closes r on error.
func checkRanks(cfg Config, r *Run, err error) error {
	if cfg.Comm != nil && cfg.Comm.Size() > 1 {
		err = cfg.Comm.Check(err)
	}
	if err != nil && r != nil {
		r.Close()
	}
	return err
}

// resumed records the rank count of the checkpoint a run was resumed from
// and checks that every rank read the same state.
func (d *distRun) resumed(r *Run, ckptRanks int) error {
	d.ckptRanks = max(ckptRanks, 1)
	if d.size == 1 {
		return nil
	}
	return d.compare(r, "after reading the checkpoint")
}

// Ranks returns the number of ranks of the job this run is part of (1
// without a Comm).
func (r *Run) Ranks() int { return r.dist.size }

// LocalBatch returns the number of examples of the global batch that this
// rank computes (Batch / Ranks).
func (r *Run) LocalBatch() int { return r.dist.local }

// ResumeNote describes how a resumed run continues when the checkpoint
// was written by a job of another rank count ("" otherwise): the same
// global batch, data and noise, but not bit for bit.
func (r *Run) ResumeNote() string {
	d := r.dist
	if d.ckptRanks == 0 || d.ckptRanks == d.size {
		return ""
	}
	return fmt.Sprintf("the checkpoint was written by %s, this job has %s: training continues with the same global batch of %d, data and noise, but not bit for bit (gradients are summed in another order)",
		plural(d.ckptRanks, "rank"), plural(d.size, "rank"), r.Config.Batch)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
