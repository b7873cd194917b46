// Package flow runs the minibatch Wasserstein gradient flow of Fatras,
// Zine, Flamary, Gribonval, Courty, "Learning with minibatch Wasserstein"
// (AISTATS 2020, section 5): n source particles x_i (rows of X) move along
// the negative gradient of the minibatch Wasserstein loss W̄ (eq. 4, squared
// Euclidean cost, exact OT per pair) towards a fixed target set Y,
//
//	x_i ← x_i − lr · n · ∂W̄/∂x_i,
//
// with fresh minibatches at every step. The factor n makes lr a time step
// per particle: with full batches (M = n) the step moves x_i a fraction
// 2·lr of the way to its optimal partner, so lr = 0.5 lands on it; with
// minibatches it moves towards the mean of its partners in the pairs that
// drew it, which is where the minibatch flow averages (and blurs) targets.
package flow

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"

	"otgen/dist"
	"otgen/ot"
)

// ErrInput is wrapped by every error caused by invalid input.
var ErrInput = errors.New("flow: invalid input")

func inputErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, args...))
}

// Options configures Run.
type Options struct {
	// M is the minibatch size, 1 <= M <= min(n, m).
	M int
	// K is the number of minibatch pairs per step, K >= 1.
	K int
	// Steps is the number of gradient steps, >= 1.
	Steps int
	// LR is the time step lr of the flow, > 0 (see the package comment);
	// above 0.5 a particle overshoots its partners.
	LR float64
	// Sampling is the minibatch sampling of ot.MinibatchOptions; empty
	// means "epoch": every step draws each particle and each target
	// equally often when K·M is a multiple of n and of m (so every
	// particle moves at every step), the other pairs being uniform
	// subsets.
	Sampling string
	// Seed determines the minibatches of every step.
	Seed uint64
	// Workers is the number of goroutines; 0 means runtime.GOMAXPROCS(0).
	// The result does not depend on it.
	Workers int
	// Lo and Hi, unless equal, clip every coordinate of the particles to
	// [Lo, Hi] after each step (for images, the pixel range).
	Lo, Hi float64
	// Comm, when it has several ranks, spreads the K pairs of every step
	// over the ranks of a job (contiguous shares, dist.Split): each rank
	// solves its own pairs, drawn from the same seed as by one process,
	// and allreduces sum the ranks' gradients, losses and squared losses.
	// Every rank holds all the particles and takes the same step, so the
	// ranks' particles stay identical, bit for bit, and equal those of one
	// process up to the order of the float sums. Every rank must call Run
	// with the same particles, targets and options; each calls observe.
	// nil means one process.
	Comm *dist.Comm
}

// State is what Run reports after each step.
type State struct {
	// Step is the number of steps taken so far, 0..Steps.
	Step int
	// Loss is the minibatch Wasserstein loss W̄ of the particles after
	// Step steps, on the minibatches of the next step (of a last
	// evaluation for Step = Steps), and StdErr its standard error over
	// the K pairs.
	Loss, StdErr float64
	// X holds the particles after Step steps. It is Run's working matrix:
	// read it during the callback, copy what must outlive it.
	X *mat.Dense
}

// Run moves the particles X (n×d, updated in place) towards the targets Y
// (m×d) for o.Steps steps of the minibatch Wasserstein gradient flow, and
// calls observe (if not nil) with the state before the first step and
// after every step, Steps+1 times. It returns the losses of those states.
// An error from observe stops the flow and is returned.
//
// The minibatches of step t come from (Seed, t) only and the gradients are
// summed in pair order, so the flow is the same for any Workers. Bad input
// (empty or non-finite points, dimensions that differ, M, K, Steps or LR
// out of range, Lo > Hi, unknown Sampling) is an error wrapping ErrInput;
// particles that become non-finite (lr far too large) are an error too.
func Run(X, Y *mat.Dense, o Options, observe func(State) error) ([]float64, error) {
	if X == nil || Y == nil || X.IsEmpty() || Y.IsEmpty() {
		return nil, inputErrorf("empty particles or targets")
	}
	n, d := X.Dims()
	m, dy := Y.Dims()
	if d != dy {
		return nil, inputErrorf("particles have %d coordinates but targets %d", d, dy)
	}
	if o.M < 1 || o.M > n || o.M > m {
		return nil, inputErrorf("minibatch size m = %d, want 1 <= m <= %d particles and <= %d targets", o.M, n, m)
	}
	if o.K < 1 || o.Steps < 1 {
		return nil, inputErrorf("k = %d pairs and %d steps, want both >= 1", o.K, o.Steps)
	}
	if !(o.LR > 0) || math.IsInf(o.LR, 0) {
		return nil, inputErrorf("learning rate %v, want a finite lr > 0", o.LR)
	}
	if o.Lo > o.Hi || math.IsNaN(o.Lo) || math.IsNaN(o.Hi) {
		return nil, inputErrorf("clip range [%v, %v]", o.Lo, o.Hi)
	}
	if o.Sampling == "" {
		o.Sampling = "epoch"
	}
	var zero *mat.Dense // the gradient of a rank without pairs
	if o.Comm != nil && o.Comm.Size() > o.K {
		zero = mat.NewDense(n, d, nil)
	}
	losses := make([]float64, 0, o.Steps+1)
	scale := o.LR * float64(n)
	for t := 0; t <= o.Steps; t++ {
		mo := ot.MinibatchOptions{
			M: o.M, K: o.K, Seed: stepSeed(o.Seed, t), Workers: o.Workers,
			Sampling: o.Sampling, Grad: t < o.Steps, NoGradY: true,
		}
		res, err := minibatchLoss(X, Y, &mo, o.Comm, zero)
		if err != nil {
			if t > 0 && errors.Is(err, ot.ErrInput) && !finiteMatrix(X) {
				err = fmt.Errorf("flow: particles are no longer finite after step %d: lr %v is too large", t, o.LR)
			} else {
				err = fmt.Errorf("flow: step %d: %w", t, err)
			}
		}
		if o.Comm != nil && o.Comm.Size() > 1 {
			// Every rank learns whether any rank failed, and how.
			if err = o.Comm.Check(err); err == nil {
				err = reduceLoss(o.Comm, res, o.K)
			}
		}
		if err != nil {
			return losses, err
		}
		losses = append(losses, res.Value)
		if observe != nil {
			if err := observe(State{Step: t, Loss: res.Value, StdErr: res.StdErr, X: X}); err != nil {
				return losses, err
			}
		}
		if t == o.Steps {
			break
		}
		step(X, res.GradX, scale, o.Lo, o.Hi, o.Workers)
	}
	return losses, nil
}

// minibatchLoss is ot.MinibatchWasserstein on this rank's share of the
// pairs when comm has several ranks (zero, n×d, is the gradient of a rank
// whose share is empty).
func minibatchLoss(X, Y *mat.Dense, mo *ot.MinibatchOptions, comm *dist.Comm, zero *mat.Dense) (*ot.MinibatchResult, error) {
	if comm == nil || comm.Size() == 1 {
		return ot.MinibatchWasserstein(X, Y, mo)
	}
	lo, hi := comm.Share(mo.K)
	if lo == hi {
		res := &ot.MinibatchResult{}
		if mo.Grad {
			zero.Zero()
			res.GradX = zero
		}
		return res, nil
	}
	mo.From, mo.To = lo, hi
	return ot.MinibatchWasserstein(X, Y, mo)
}

// reduceLoss adds the ranks' shares of res (loss, mean square, gradient)
// with two allreduces and sets res.StdErr, that of k pairs, from the sums.
func reduceLoss(comm *dist.Comm, res *ot.MinibatchResult, k int) error {
	v := []float64{res.Value, res.MeanSquare}
	if err := comm.AllreduceFloat64(v, dist.Sum); err != nil {
		return fmt.Errorf("flow: add the ranks' losses: %w", err)
	}
	res.Value, res.MeanSquare = v[0], v[1]
	res.StdErr = 0
	if k > 1 {
		// The sample variance of the K pair losses, from their mean and
		// mean square.
		K := float64(k)
		variance := K / (K - 1) * (res.MeanSquare - res.Value*res.Value)
		res.StdErr = math.Sqrt(math.Max(variance, 0) / K)
	}
	if res.GradX != nil {
		if err := comm.AllreduceFloat64(res.GradX.RawMatrix().Data, dist.Sum); err != nil {
			return fmt.Errorf("flow: add the ranks' gradients: %w", err)
		}
	}
	return nil
}

// step sets X <- X - scale·G, clipped to [lo, hi] unless lo == hi, on
// several goroutines for large X (each entry is updated on its own, so
// the result does not depend on them).
func step(X, G *mat.Dense, scale, lo, hi float64, workers int) {
	n, d := X.Dims()
	x, g := X.RawMatrix(), G.RawMatrix()
	rows := func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			xr, gr := x.Data[i*x.Stride:i*x.Stride+d], g.Data[i*g.Stride:i*g.Stride+d]
			for k := range xr {
				v := xr[k] - scale*gr[k]
				if lo < hi {
					v = max(lo, min(hi, v))
				}
				xr[k] = v
			}
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if n*d < 1<<18 || workers == 1 {
		rows(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows(w*n/workers, (w+1)*n/workers)
		}()
	}
	wg.Wait()
}

// stepSeed is the minibatch seed of step t.
func stepSeed(seed uint64, t int) uint64 {
	return seed*0x9e3779b97f4a7c15 + uint64(t)*0xbf58476d1ce4e5b9 + 1
}

func finiteMatrix(X *mat.Dense) bool {
	r, _ := X.Dims()
	for i := 0; i < r; i++ {
		for _, v := range X.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}
