package train

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

	"otgen/eval"
	"otgen/losses"
)

// evalSamples is the number of samples of the 2-D evaluation and figures;
// evalExamples the number of held-out examples of the image evaluation.
const (
	evalSamples  = 1000
	evalExamples = 2000
)

// evalSeed seeds the evaluation's own random numbers, so evaluating never
// changes the training sequence and every evaluation sees the same draws.
func (r *Run) evalSeed() uint64 { return r.Config.Seed ^ 0x6576616c }

// is2D reports whether the data are 2-D points.
func (r *Run) is2D() bool {
	return len(r.Config.Model.DataShape) == 1 && r.Config.Model.DataShape[0] == 2
}

// evalColumns are the metric columns that evaluate fills.
func (r *Run) evalColumns() []string {
	if r.src.test == nil {
		cols := []string{"eval_mmd", "eval_w2"}
		if r.src.modes != nil {
			cols = append(cols, "eval_modes", "eval_modes_peer", "eval_hq")
		}
		return cols
	}
	cols := []string{"eval_mmd", "eval_w2"}
	if r.Model.Encoder != nil {
		cols = append(cols, "eval_latent_mmd")
	}
	for _, mt := range r.obj.Steps[0].Metrics {
		cols = append(cols, "test_"+mt.Name)
	}
	return cols
}

// peerShare is the peers' rule for a covered mode (VEEGAN; the PyTorch
// peer ../shared/peers/torch_toy.py, modes_covered_ge20): at least 20 of
// 2,500 samples, 0.8%, are high-quality samples of the mode.
const peerShare = 20.0 / 2500

// peerModes counts the modes covered by the peers' rule, eval_modes_peer
// (eval_modes asks for 5% of the samples on every mode).
func peerModes(c eval.Coverage) int {
	n := 0
	for _, s := range c.Share {
		if s >= peerShare {
			n++
		}
	}
	return n
}

// evaluate computes the evaluation metrics: for infinite toys the MMD
// between generated and real samples; for datasets with a held-out split,
// the objective's metrics on held-out examples.
func (r *Run) evaluate() error {
	if r.src.test == nil {
		rng := rand.New(rand.NewPCG(r.evalSeed(), 1))
		dim := r.Config.Model.DataDim()
		real := make([]float32, evalSamples*dim)
		r.src.real(rng, real)
		gen, err := r.generate(rng, evalSamples)
		if err != nil {
			return err
		}
		v, err := eval.MMD(gen, real, dim, nil)
		if err != nil {
			return fmt.Errorf("train: evaluation: %w", err)
		}
		r.last["eval_mmd"] = v
		// Exact W2 between 2,000 generated and 2,000 real points.
		real2 := make([]float32, 2*evalSamples*dim)
		r.src.real(rng, real2)
		gen2, err := r.generate(rng, 2*evalSamples)
		if err != nil {
			return err
		}
		if r.last["eval_w2"], err = eval.W2(gen2, real2, dim); err != nil {
			return fmt.Errorf("train: evaluation: %w", err)
		}
		if r.src.modes != nil {
			c, err := eval.ModeCoverage(gen2, r.src.modes, r.src.std, 3, 0.05)
			if err != nil {
				return fmt.Errorf("train: evaluation: %w", err)
			}
			r.last["eval_modes"] = float64(c.Covered)
			r.last["eval_modes_peer"] = float64(peerModes(c))
			r.last["eval_hq"] = c.HighQuality
		}
		return nil
	}
	if r.evalObj == nil {
		obj, err := losses.New(r.Config.Loss, r.Model, r.Config.Batch)
		if err != nil {
			return err
		}
		// Held-out batches are normalised with the running statistics
		// and must not update them.
		for _, st := range obj.Steps {
			st.Graph.SetTraining(false)
		}
		r.evalObj = obj
		r.evalVMs = []G.VM{G.NewTapeMachine(obj.Steps[0].Graph.G)}
	}
	st := r.evalObj.Steps[0]
	rng := rand.New(rand.NewPCG(r.evalSeed(), 2))
	dim := r.Config.Model.DataDim()
	buf := st.Data.Data().([]float32)
	sums := make([]float64, len(st.Metrics))
	batches := 0
	for start := 0; start+r.Config.Batch <= min(evalExamples, r.src.test.Len()); start += r.Config.Batch {
		for i := 0; i < r.Config.Batch; i++ {
			r.src.test.Example(start+i, buf[i*dim:(i+1)*dim])
		}
		r.fillNoise(rng, st.Noise)
		vm := r.evalVMs[0]
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			return fmt.Errorf("train: evaluation: %w", err)
		}
		for j, mt := range st.Metrics {
			v, err := scalarValue(mt.Node)
			if err != nil {
				return err
			}
			sums[j] += v
		}
		batches++
	}
	if batches == 0 {
		return fmt.Errorf("train: evaluation: fewer held-out examples than a batch")
	}
	for j, mt := range st.Metrics {
		r.last["test_"+mt.Name] = sums[j] / float64(batches)
	}
	return r.evaluatePixels(rng)
}

// evaluatePixels compares 500 generated images with 500 held-out ones in
// pixel space: MMD with Gaussian kernels at 1/2, 1 and 2 times the median
// distance between the held-out images, and the exact W2.
func (r *Run) evaluatePixels(rng *rand.Rand) error {
	n := min(500, r.src.test.Len())
	dim := r.Config.Model.DataDim()
	real := make([]float32, n*dim)
	for i := 0; i < n; i++ {
		r.src.test.Example(i, real[i*dim:(i+1)*dim])
	}
	gen, err := r.generate(rng, n)
	if err != nil {
		return err
	}
	h, err := eval.MedianDistance(real, dim)
	if err != nil {
		return fmt.Errorf("train: evaluation: %w", err)
	}
	if r.last["eval_mmd"], err = eval.MMD(gen, real, dim, []float64{h / 2, h, 2 * h}); err != nil {
		return fmt.Errorf("train: evaluation: %w", err)
	}
	if r.last["eval_w2"], err = eval.W2(gen, real, dim); err != nil {
		return fmt.Errorf("train: evaluation: %w", err)
	}
	if r.Model.Encoder != nil {
		if r.last["eval_latent_mmd"], err = r.latentMMD(rng, real, n); err != nil {
			return err
		}
	}
	return nil
}

// latentMMD returns the MMD between the codes of the n held-out examples x
// (the encoder's means) and n draws of the prior, with Gaussian kernels at
// 1/2, 1 and 2 times the median distance between the prior draws: how far
// the encoder's aggregate posterior Q_Z is from P_Z, the quantity the
// WAE penalties (and the VAE's KL term, per example) pull down. A decoder
// trained on codes far from the prior generates poorly from it.
func (r *Run) latentMMD(rng *rand.Rand, x []float32, n int) (float64, error) {
	codes, err := r.Model.Encode(x, n)
	if err != nil {
		return 0, fmt.Errorf("train: evaluation: %w", err)
	}
	dz := r.Config.Model.Latent
	prior := make([]float32, n*dz)
	r.Model.SamplePrior(rng, prior)
	h, err := eval.MedianDistance(prior, dz)
	if err != nil {
		return 0, fmt.Errorf("train: evaluation: %w", err)
	}
	v, err := eval.MMD(codes, prior, dz, []float64{h / 2, h, 2 * h})
	if err != nil {
		return 0, fmt.Errorf("train: evaluation: latent MMD: %w", err)
	}
	return v, nil
}

// generate decodes n draws of the prior.
func (r *Run) generate(rng *rand.Rand, n int) ([]float32, error) {
	z := make([]float32, n*r.Config.Model.Latent)
	r.Model.SamplePrior(rng, z)
	x, err := r.Model.Generate(z, n)
	if err != nil {
		return nil, fmt.Errorf("train: generate: %w", err)
	}
	return x, nil
}

// Evaluate computes the evaluation metrics now and returns them (with the
// averaged generator of a run with Config.EMA).
func (r *Run) Evaluate() (map[string]float64, error) {
	if err := r.withAverages(r.evaluate); err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, c := range r.evalColumns() {
		out[c] = r.last[c]
	}
	return out, nil
}
