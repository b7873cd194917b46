package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"otgen/data"
	"otgen/dist"
)

// onRanks runs f on every rank of an in-process job of n ranks (goroutines
// connected by dist.NewLocal), each with its own copy of cfg whose Comm is
// that rank's, and returns the ranks' errors.
func onRanks(t *testing.T, n int, cfg Config, f func(rank int, cfg Config) error) []error {
	t.Helper()
	comms, err := dist.NewLocal(n)
	if err != nil {
		t.Fatal(err)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for rk := range comms {
		c := cfg
		c.Comm = comms[rk]
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[rk] = f(rk, c)
		}()
	}
	wg.Wait()
	return errs
}

// trainOnRanks trains cfg on n in-process ranks and returns rank 0's
// parameters and optimiser state, and every rank's (which must agree).
func trainOnRanks(t *testing.T, n int, cfg Config) []float32 {
	t.Helper()
	out := make([][]float32, n)
	errs := onRanks(t, n, cfg, func(rk int, c Config) error {
		r, err := New(c)
		if err != nil {
			return err
		}
		defer r.Close()
		if err := r.Train(context.Background()); err != nil {
			return err
		}
		out[rk] = params(t, r)
		return nil
	})
	for rk, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", rk, err)
		}
	}
	for rk := 1; rk < n; rk++ {
		if !bitsEqual(out[0], out[rk]) {
			t.Fatalf("ranks 0 and %d end with different parameters", rk)
		}
	}
	return out[0]
}

func trainOne(t *testing.T, cfg Config) []float32 {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	return params(t, r)
}

func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// maxRelDiff is max |a−b| over max |a|, and whether a and b are not
// identical.
func maxRelDiff(a, b []float32) (float64, bool) {
	d, s := 0.0, 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		s = math.Max(s, math.Abs(float64(a[i])))
	}
	return d / s, !bitsEqual(a, b)
}

// fractionBeyond returns the fraction of the values of a and b that differ
// by more than tol times the largest |a|.
func fractionBeyond(a, b []float32, tol float64) float64 {
	s := 0.0
	for _, v := range a {
		s = math.Max(s, math.Abs(float64(v)))
	}
	n := 0
	for i := range a {
		if math.Abs(float64(a[i])-float64(b[i])) > tol*s {
			n++
		}
	}
	return float64(n) / float64(len(a))
}

// distTolerance bounds the difference, relative to the largest parameter,
// between parameters trained 20 steps on one process and on two ranks:
// the same data, noise and pairs, gradients summed in another order
// (float32 rounding, amplified a little by Adam's normalisation).
const distTolerance = 1e-4

// TestDataParallelMatchesOneProcess: for every loss trained with Adam, 2
// ranks with global batch 64 train the same parameters (and optimiser
// state) as one process with batch 64, up to float32 summation order,
// after 20 steps. (wgan's RMSProp turns the rounding noise of gradients
// that are zero but for rounding into steps of up to lr/sqrt(1-β2): its
// parameters agree to about 1e-2 after 20 steps, so it is checked at the
// gradients, by TestDataParallelGradientsMatchOneProcess. So are the
// learned-cost losses: their training amplifies any perturbation — one
// process with its learning rate changed by a relative 1e-6 moves its
// parameters by 5e-4 (relative) after 5 iterations, where wgan-gp's stay
// within 6e-7 — so 2 ranks and one process part after a few iterations
// (1e-4 after one, 6e-2 after five, measured), though each step's
// gradients agree to 2e-7.)
func TestDataParallelMatchesOneProcess(t *testing.T) {
	for _, loss := range []string{"vae", "wgan-gp", "wae-mmd", "aae", "minibatch-w", "sinkhorn"} {
		t.Run(loss, func(t *testing.T) {
			cfg := toyConfig(t, loss, 20)
			if loss == "minibatch-w" {
				cfg.Loss.K, cfg.Loss.M = 5, 32 // 3 pairs on rank 0, 2 on rank 1
			}
			if loss == "wgan-gp" {
				// The penalty's input gradient goes through the
				// activations' masks (a comparison): with ReLU-type units
				// a rounding difference can flip one unit's mask, and
				// Adam then moves that unit's weights by up to lr per step
				// (measured: 0.035% of the values beyond 1e-4 after 20
				// steps with otgen's sgemm, 0.126% with OpenBLAS). Smooth
				// units leave only the summation order, which is what
				// this test is about; per-step equality with LeakyReLU is
				// TestDataParallelGradientsMatchOneProcess's.
				cfg.Model.Activation = "tanh"
			}
			one := trainOne(t, cfg)
			cfg.Out = t.TempDir()
			two := trainOnRanks(t, 2, cfg)
			d, differ := maxRelDiff(one, two)
			far := fractionBeyond(one, two, distTolerance)
			t.Logf("%s: max relative difference %.2g, %.3g%% of the values beyond %g", loss, d, 100*far, distTolerance)
			if d > distTolerance {
				t.Fatalf("%s: 2 ranks and one process differ by %.3g (relative), want <= %g", loss, d, distTolerance)
			}
			if !differ {
				t.Logf("%s: identical bit for bit", loss)
			}
		})
	}
}

// stepGrads runs every step of r's objective once, forward and backward,
// with the allreduce, without updating the parameters, and returns each
// step's loss and averaged gradients.
func stepGrads(r *Run) ([]float64, [][]float32, error) {
	var losses []float64
	var grads [][]float32
	for i, st := range r.obj.Steps {
		if st.Data != nil {
			if err := r.dist.batch(r.src, st.Data.Data().([]float32)); err != nil {
				return nil, nil, err
			}
		}
		r.dist.fillNoise(r, i)
		r.vms[i].Reset()
		if err := r.dist.reduce(r, i, r.checkRun(i, r.vms[i].RunAll())); err != nil {
			return nil, nil, err
		}
		var g []float32
		for _, p := range st.Params {
			d, err := gradData(p.Grad())
			if err != nil {
				return nil, nil, err
			}
			g = append(g, d...)
		}
		r.opts[i].ZeroGrad()
		losses = append(losses, r.dist.metrics[i][0])
		grads = append(grads, g)
	}
	return losses, grads, nil
}

// TestDataParallelGradientsMatchOneProcess: for every loss, the loss and
// the gradients that 2 ranks average equal those of one process on the
// same global batch, noise and pairs (up to float32 summation order). For
// minibatch-w (k = 7 pairs, 4 on rank 0 and 3 on rank 1) this is the
// estimator of eq. 4 with its pairs spread over the ranks.
//
// The networks are smooth (tanh), as in TestDataParallelMatchesOneProcess
// for wgan-gp: with a kinked unit, a pre-activation within rounding of 0
// takes its sign from the summation order, and the gradient jumps. Measured
// with leaky_relu, wgan's critic step, OpenBLAS 0.3.21's Haswell kernels:
// one example's pre-activation of unit 83 of the third layer is 1.2e-7,
// positive on one process and negative on 2 ranks (batch products of 64
// and 32 rows), and that unit's column of weight gradients moves by 3e-3
// (1.6e-3 of the largest gradient) — a jump, not rounding, which otgen's
// and other kernels' orders happened to avoid. Summation order is what
// this test is about; smooth units leave only it.
func TestDataParallelGradientsMatchOneProcess(t *testing.T) {
	for _, name := range []string{"vae", "wgan-gp", "wgan", "wae-mmd", "aae", "minibatch-w", "sinkhorn", "sinkhorn-gan", "minibatch-w-gan", "minibatch-w-gan/debias"} {
		t.Run(name, func(t *testing.T) {
			loss, variant, _ := strings.Cut(name, "/")
			cfg := toyConfig(t, loss, 1)
			cfg.Model.Activation = "tanh"
			if loss == "minibatch-w" || loss == "minibatch-w-gan" {
				cfg.Loss.K, cfg.Loss.M = 7, 16
			}
			if variant == "debias" {
				// The self terms too, with the repulsive critic's.
				cfg.Loss.Debias, cfg.Loss.CriticLoss = true, "repulsive"
			}
			r, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			loss1, g1, err := stepGrads(r)
			if err != nil {
				t.Fatal(err)
			}
			losses := make([][]float64, 2)
			gs := make([][][]float32, 2)
			cfg.Out = t.TempDir()
			errs := onRanks(t, 2, cfg, func(rk int, c Config) error {
				r, err := New(c)
				if err != nil {
					return err
				}
				defer r.Close()
				losses[rk], gs[rk], err = stepGrads(r)
				return err
			})
			for rk, err := range errs {
				if err != nil {
					t.Fatalf("rank %d: %v", rk, err)
				}
			}
			for i := range g1 {
				for rk := range gs {
					if math.Abs(losses[rk][i]-loss1[i]) > 1e-5*math.Max(1, math.Abs(loss1[i])) {
						t.Fatalf("step %d, rank %d: loss %v, one process %v", i, rk, losses[rk][i], loss1[i])
					}
					d, _ := maxRelDiff(g1[i], gs[rk][i])
					if d > 1e-5 {
						t.Fatalf("step %d, rank %d: gradients differ from one process's by %.3g (relative)", i, rk, d)
					}
					t.Logf("step %d: loss %.6g vs %.6g, gradients within %.2g", i, loss1[i], losses[rk][i], d)
				}
				if !bitsEqual(gs[0][i], gs[1][i]) {
					t.Fatalf("step %d: the ranks' averaged gradients differ", i)
				}
			}
		})
	}
}

// TestDataParallelResumeIsExact: on 2 ranks, 17 steps then a resume to 30
// give rank 0's checkpoint of 30 steps in one go, bit for bit; resuming
// the 2-rank checkpoint on one process runs, says that it is not bit for
// bit, and stays within the summation tolerance of the 2-rank run.
func TestDataParallelResumeIsExact(t *testing.T) {
	for _, loss := range []string{"wgan-gp", "minibatch-w"} {
		t.Run(loss, func(t *testing.T) {
			cfg := toyConfig(t, loss, 30)
			// A schedule that does not depend on Steps, which the
			// interrupted run sets to 17.
			cfg.Schedule = "constant"
			// Smooth units, so that one process and 2 ranks differ by
			// summation order only (see TestDataParallelMatchesOneProcess;
			// with leaky_relu, a unit whose sign flipped made them differ
			// by 6e-4 on OpenBLAS's Haswell kernels).
			cfg.Model.Activation = "tanh"
			full := trainOnRanks(t, 2, cfg)

			cfg.Out = t.TempDir()
			cfg.Steps = 17
			trainOnRanks(t, 2, cfg)
			ckpt := filepath.Join(cfg.Out, CheckpointName)
			_, m, err := readMeta(ckpt)
			if err != nil {
				t.Fatal(err)
			}
			if m.Ranks != 2 {
				t.Fatalf("the checkpoint records %d ranks, want 2", m.Ranks)
			}
			resumed := make([][]float32, 2)
			errs := onRanks(t, 2, cfg, func(rk int, c Config) error {
				r, err := Resume(ckpt, func(rc *Config) { rc.Steps, rc.Comm = 30, c.Comm })
				if err != nil {
					return err
				}
				defer r.Close()
				if note := r.ResumeNote(); note != "" {
					return fmt.Errorf("resuming on as many ranks: note %q", note)
				}
				if err := r.Train(context.Background()); err != nil {
					return err
				}
				resumed[rk] = params(t, r)
				return nil
			})
			for rk, err := range errs {
				if err != nil {
					t.Fatalf("rank %d: %v", rk, err)
				}
			}
			if !bitsEqual(full, resumed[0]) || !bitsEqual(full, resumed[1]) {
				t.Fatal("17 steps + resume to 30 on 2 ranks differ from 30 steps on 2 ranks")
			}
			ck, err := Load(ckpt)
			if err != nil || ck.Step != 30 {
				t.Fatalf("the resumed run's checkpoint: step %v, %v", ck, err)
			}

			// The 17-step checkpoint of 2 ranks, on one process.
			cfg.Out = t.TempDir()
			cfg.Steps = 17
			trainOnRanks(t, 2, cfg)
			r, err := Resume(filepath.Join(cfg.Out, CheckpointName), func(c *Config) { c.Steps = 30 })
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if note := r.ResumeNote(); !strings.Contains(note, "2 ranks") || !strings.Contains(note, "not bit for bit") {
				t.Fatalf("resuming 2 ranks on 1: note %q", note)
			}
			if err := r.Train(context.Background()); err != nil {
				t.Fatal(err)
			}
			if d, _ := maxRelDiff(full, params(t, r)); d > distTolerance {
				t.Fatalf("resumed on one process, the run differs from 2 ranks by %.3g (relative)", d)
			}
		})
	}
}

// TestDataParallelDriftStops: a rank whose parameters differ from rank 0's
// stops the job at the next state comparison, with a message on every
// rank.
func TestDataParallelDriftStops(t *testing.T) {
	cfg := toyConfig(t, "vae", 20)
	errs := onRanks(t, 2, cfg, func(rk int, c Config) error {
		r, err := New(c)
		if err != nil {
			return err
		}
		defer r.Close()
		r.dist.checkEvery = 5
		if rk == 1 {
			r.opts[0].M[0][0] += 1e-3 // another optimiser state
		}
		return r.Train(context.Background())
	})
	for rk, err := range errs {
		if !dist.IsShared(err) || !strings.Contains(err.Error(), "rank 1 differs from rank 0's after step 5") {
			t.Fatalf("rank %d: %v, want the drift stop after step 5", rk, err)
		}
	}
}

// TestDataParallelNaNOnOneRank: a rank that meets NaN stops every rank at
// the same step with ErrNonFinite, naming it; rank 0's last checkpoint
// stays as it was.
func TestDataParallelNaNOnOneRank(t *testing.T) {
	cfg := toyConfig(t, "wgan-gp", 20)
	cfg.CheckpointEvery = 5
	steps := make([]int, 2)
	errs := onRanks(t, 2, cfg, func(rk int, c Config) error {
		r, err := New(c)
		if err != nil {
			return err
		}
		defer r.Close()
		r.Config.Steps = 7
		if err := r.Train(context.Background()); err != nil {
			return err
		}
		if rk == 1 {
			// A NaN in rank 1's critic input: only its loss is NaN.
			r.src.batcher = nanBatcher{r.src.batcher}
		}
		r.Config.Steps = 20
		err = r.Train(context.Background())
		steps[rk] = r.Step()
		return err
	})
	for rk, err := range errs {
		if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "rank 1") {
			t.Fatalf("rank %d: %v, want ErrNonFinite naming rank 1", rk, err)
		}
	}
	if steps[0] != steps[1] || steps[0] != 7 {
		t.Fatalf("the ranks stopped at steps %v, want both at 7", steps)
	}
	if !strings.Contains(errs[0].Error(), "last good checkpoint") {
		t.Fatalf("rank 0: %v, want the last checkpoint named", errs[0])
	}
	l, err := Load(filepath.Join(cfg.Out, CheckpointName))
	if err != nil || l.Step != 7 {
		t.Fatalf("checkpoint after the NaN: %v, %v; want step 7", l, err)
	}
}

// nanBatcher puts a NaN in every batch.
type nanBatcher struct{ data.Batcher }

func (b nanBatcher) Next(dst []float32) error {
	if err := b.Batcher.Next(dst); err != nil {
		return err
	}
	dst[len(dst)-1] = float32(math.NaN()) // in rank 1's rows of the global batch
	return nil
}

// TestDataParallelInterrupt: cancelling one rank's context stops every rank
// after the same step; rank 0 writes the checkpoint of that step.
func TestDataParallelInterrupt(t *testing.T) {
	cfg := toyConfig(t, "vae", 1000)
	steps := make([]int, 2)
	errs := onRanks(t, 2, cfg, func(rk int, c Config) error {
		r, err := New(c)
		if err != nil {
			return err
		}
		defer r.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if rk == 1 {
			r.Config.Steps = 12
			if err := r.Train(ctx); err != nil {
				return err
			}
			cancel()
			r.Config.Steps = 1000
		} else {
			// Rank 0's own context is never cancelled.
			r.Config.Steps = 12
			if err := r.Train(ctx); err != nil {
				return err
			}
			r.Config.Steps = 1000
		}
		err = r.Train(ctx)
		steps[rk] = r.Step()
		return err
	})
	for rk, err := range errs {
		if !errors.Is(err, ErrInterrupted) {
			t.Fatalf("rank %d: %v, want ErrInterrupted", rk, err)
		}
	}
	if steps[0] != steps[1] || steps[0] != 13 {
		t.Fatalf("the ranks stopped at steps %v, want both at 13 (one step after the cancellation)", steps)
	}
	l, err := Load(filepath.Join(cfg.Out, CheckpointName))
	if err != nil || l.Step != 13 {
		t.Fatalf("checkpoint: %v, %v; want step 13", l, err)
	}
}

func TestDataParallelBatchMustSpread(t *testing.T) {
	cfg := toyConfig(t, "vae", 1)
	cfg.Batch = 64
	errs := onRanks(t, 3, cfg, func(_ int, c Config) error {
		_, err := New(c)
		return err
	})
	for rk, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "batch 64 does not spread over 3 ranks") {
			t.Fatalf("rank %d: %v", rk, err)
		}
	}
}

// TestDataParallelRankWithoutData: a rank that cannot read its data fails
// the job on every rank with that rank's message.
func TestDataParallelRankWithoutData(t *testing.T) {
	cfg := convMNISTConfig(t, "vae", 1)
	missing := filepath.Join(t.TempDir(), "no-mnist-here")
	errs := onRanks(t, 2, cfg, func(rk int, c Config) error {
		if rk == 1 {
			c.Data.Dir = missing
		}
		r, err := New(c)
		if err == nil {
			r.Close()
		}
		return err
	})
	for rk, err := range errs {
		if !dist.IsShared(err) || !strings.Contains(err.Error(), "rank 1: ") || !strings.Contains(err.Error(), missing) {
			t.Fatalf("rank %d: %v, want rank 1's error naming %s", rk, err, missing)
		}
	}
	if errs[1] != nil && !errors.Is(errs[1], os.ErrNotExist) {
		t.Logf("rank 1's own error does not wrap ErrNotExist: %v", errs[1])
	}
}

// TestDataParallelMatchesOneProcessOnMNIST: the same on a file dataset,
// whose ranks read only their rows of each global batch, with a conv net.
func TestDataParallelMatchesOneProcessOnMNIST(t *testing.T) {
	cfg := convMNISTConfig(t, "wgan-gp", 3)
	one := trainOne(t, cfg)
	cfg.Out = t.TempDir()
	two := trainOnRanks(t, 2, cfg)
	d, _ := maxRelDiff(one, two)
	t.Logf("max relative difference %.2g", d)
	if d > distTolerance {
		t.Fatalf("2 ranks and one process differ by %.3g (relative), want <= %g", d, distTolerance)
	}
}
