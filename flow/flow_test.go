package flow

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"otgen/ot"
)

// blob returns n points of N(centre, std² I) in d dimensions.
func blob(seed uint64, n, d int, centre, std float64) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 3))
	X := mat.NewDense(n, d, nil)
	for i := range X.RawMatrix().Data {
		X.RawMatrix().Data[i] = centre + std*rng.NormFloat64()
	}
	return X
}

// eightModes returns n points around the 8 points of a circle of radius 2.
func eightModes(seed uint64, n int) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 4))
	Y := mat.NewDense(n, 2, nil)
	for i := 0; i < n; i++ {
		a := float64(rng.IntN(8)) * math.Pi / 4
		Y.Set(i, 0, 2*math.Cos(a)+0.05*rng.NormFloat64())
		Y.Set(i, 1, 2*math.Sin(a)+0.05*rng.NormFloat64())
	}
	return Y
}

// The flow of a Gaussian blob to the 8 modes lowers the minibatch W loss:
// the mean loss of every fifth of the run is below that of the fifth
// before (individual steps may rise: the loss is itself a random
// minibatch estimate), and the final loss is close to the loss between
// two samples of the target, the lowest a minibatch loss can go.
func TestFlowLowersLoss(t *testing.T) {
	X, Y := blob(1, 400, 2, 0, 0.3), eightModes(2, 400)
	calls := 0
	losses, err := Run(X, Y, Options{M: 50, K: 16, Steps: 60, LR: 0.02, Seed: 1}, func(s State) error {
		if s.Step != calls || s.X != X {
			t.Errorf("callback %d got step %d", calls, s.Step)
		}
		calls++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 61 || calls != 61 {
		t.Fatalf("%d losses, %d callbacks, want 61", len(losses), calls)
	}
	var means []float64
	for w := 0; w < 5; w++ {
		s := 0.0
		for _, l := range losses[w*12 : (w+1)*12] {
			s += l
		}
		means = append(means, s/12)
	}
	// The floor: the minibatch loss between two samples of the target.
	floor, err := ot.MinibatchWasserstein(eightModes(5, 400), Y, &ot.MinibatchOptions{M: 50, K: 16, Seed: 1, Sampling: "epoch"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loss %.4f -> %.4f (floor %.4f); window means %.4f", losses[0], losses[60], floor.Value, means)
	for w := 1; w < 5; w++ {
		if means[w] >= means[w-1] {
			t.Errorf("window %d mean loss %.4f is not below window %d's %.4f", w, means[w], w-1, means[w-1])
		}
	}
	// The minibatch loss cannot go much below the floor (its bias at
	// m = 50); the flow must get close to it.
	if losses[60] > 1.25*floor.Value {
		t.Errorf("final loss %.4f, want within 25%% of the floor %.4f", losses[60], floor.Value)
	}
}

// One full-batch step with lr = 0.5 moves every particle onto its optimal
// partner: the factor n of the update is right.
func TestFlowFullBatchStepReachesOptimalPartners(t *testing.T) {
	const n = 30
	X, Y := blob(3, n, 3, 0, 1), blob(4, n, 3, 2, 1)
	C, err := ot.Cost(X, Y, 2)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := ot.EMD(nil, nil, C, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ot.BarycentricMap(ex.Plan, Y)
	if err != nil {
		t.Fatal(err)
	}
	losses, err := Run(X, Y, Options{M: n, K: 1, Steps: 1, LR: 0.5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.EqualApprox(X, want, 1e-12) {
		t.Fatal("after one full-batch step with lr 0.5 the particles are not their OT partners")
	}
	if math.Abs(losses[0]-ex.Cost) > 1e-12 || losses[1] > 1e-12 {
		t.Errorf("losses %v, want [%v 0]", losses, ex.Cost)
	}
}

// The update direction is the gradient of the loss the flow reports:
// moving one particle by ±h along a direction changes the loss (for the
// same minibatches) by h times the directional derivative that the
// update uses.
func TestFlowGradientMatchesFiniteDifferences(t *testing.T) {
	const n = 40
	X, Y := blob(5, n, 2, 0, 1), blob(6, n, 2, 1, 1)
	o := &ot.MinibatchOptions{M: 10, K: 8, Seed: stepSeed(9, 0), Sampling: "epoch", Grad: true}
	res, err := ot.MinibatchWasserstein(X, Y, o)
	if err != nil {
		t.Fatal(err)
	}
	// The step that Run takes from X with lr 1: X - n·grad.
	step := mat.DenseCopyOf(X)
	if _, err := Run(step, Y, Options{M: 10, K: 8, Steps: 1, LR: 1, Seed: 9}, nil); err != nil {
		t.Fatal(err)
	}
	o.Grad = false
	const h = 1e-6
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := 0; trial < 5; trial++ {
		i := rng.IntN(n)
		dir := []float64{rng.NormFloat64(), rng.NormFloat64()}
		loss := func(s float64) float64 {
			P := mat.DenseCopyOf(X)
			P.Set(i, 0, P.At(i, 0)+s*dir[0])
			P.Set(i, 1, P.At(i, 1)+s*dir[1])
			r, err := ot.MinibatchWasserstein(P, Y, o)
			if err != nil {
				t.Fatal(err)
			}
			return r.Value
		}
		fd := (loss(h) - loss(-h)) / (2 * h)
		// Directional derivative used by the step: -(step - x)/n · dir.
		used := 0.0
		for k := 0; k < 2; k++ {
			used += (X.At(i, k) - step.At(i, k)) / n * dir[k]
		}
		analytic := res.GradX.At(i, 0)*dir[0] + res.GradX.At(i, 1)*dir[1]
		if math.Abs(fd-used) > 1e-6*math.Max(1, math.Abs(fd)) || math.Abs(used-analytic) > 1e-12 {
			t.Errorf("particle %d: finite difference %.9g, step's derivative %.9g, gradient %.9g", i, fd, used, analytic)
		}
	}
}

func TestFlowClipAndDeterminism(t *testing.T) {
	X1, Y := blob(8, 60, 4, 0.5, 0.2), blob(9, 60, 4, 0.9, 0.3)
	X2 := mat.DenseCopyOf(X1)
	o := Options{M: 20, K: 6, Steps: 5, LR: 0.4, Seed: 3, Lo: 0, Hi: 1, Workers: 1}
	l1, err := Run(X1, Y, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Workers = 3
	l2, err := Run(X2, Y, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(X1, X2) {
		t.Error("1 and 3 workers give different particles")
	}
	for i := range l1 {
		if l1[i] != l2[i] {
			t.Fatalf("loss %d: %v vs %v", i, l1[i], l2[i])
		}
	}
	if mat.Max(X1) > 1 || mat.Min(X1) < 0 {
		t.Errorf("particles in [%v, %v], want clipped to [0, 1]", mat.Min(X1), mat.Max(X1))
	}
	if mat.Max(Y) <= 1 {
		t.Fatal("the targets should leave [0, 1] for the clip to matter")
	}
}

func TestFlowBadInput(t *testing.T) {
	X, Y := blob(10, 10, 2, 0, 1), blob(11, 8, 2, 0, 1)
	ok := Options{M: 4, K: 2, Steps: 2, LR: 0.1}
	for name, c := range map[string]struct {
		X, Y *mat.Dense
		o    Options
	}{
		"nil":        {nil, Y, ok},
		"dims":       {X, blob(12, 8, 3, 0, 1), ok},
		"m > set":    {X, Y, Options{M: 9, K: 2, Steps: 2, LR: 0.1}},
		"k":          {X, Y, Options{M: 4, Steps: 2, LR: 0.1}},
		"steps":      {X, Y, Options{M: 4, K: 2, LR: 0.1}},
		"lr":         {X, Y, Options{M: 4, K: 2, Steps: 2, LR: -1}},
		"lr nan":     {X, Y, Options{M: 4, K: 2, Steps: 2, LR: math.NaN()}},
		"clip":       {X, Y, Options{M: 4, K: 2, Steps: 2, LR: 0.1, Lo: 1, Hi: 0}},
		"sampling":   {X, Y, Options{M: 4, K: 2, Steps: 2, LR: 0.1, Sampling: "all"}},
		"nan points": {mat.NewDense(2, 2, []float64{0, math.NaN(), 1, 1}), Y, Options{M: 2, K: 1, Steps: 1, LR: 0.1}},
	} {
		if _, err := Run(c.X, c.Y, c.o, nil); !errors.Is(err, ErrInput) && !errors.Is(err, ot.ErrInput) {
			t.Errorf("%s: error %v, want an input error", name, err)
		}
	}
	stop := errors.New("stop")
	losses, err := Run(X, Y, ok, func(s State) error {
		if s.Step == 1 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || len(losses) != 2 {
		t.Errorf("observer error: %v after %d losses, want stop after 2", err, len(losses))
	}
	// A huge step makes the particles blow up: an error, not NaNs.
	if _, err := Run(blob(13, 10, 2, 0, 1), Y, Options{M: 8, K: 1, Steps: 2000, LR: 1e3}, nil); err == nil {
		t.Error("lr 1000: no error")
	}
}
