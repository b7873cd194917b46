// Package scores computes the final image scores of a trained model —
// SWD, FID and KID in a classifier's feature space, label KL, the
// reconstruction error — on fixed numbers of generated and held-out
// examples from fixed seeds: the columns that cmd/compare adds to its
// table, and what cmd/sample --scores prints for any checkpoint.
package scores

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"

	"otgen/classifier"
	"otgen/eval"
	"otgen/fetch"
	"otgen/train"
)

// Final image metrics, computed once per finished run on the same number
// of generated and held-out examples for every loss, from fixed seeds:
//
//	eval_swd       sliced Wasserstein distance over Laplacian-pyramid
//	               patches (Karras et al. 2018), ×10³, averaged over levels;
//	eval_fid       FID in the feature space of otgen's MNIST classifier
//	               (MNIST) or of its CelebA attribute classifier (CelebA);
//	eval_kid       KID (unbiased cubic-kernel MMD², Bińkowski et al. 2018)
//	               in the same feature space (its features are unbounded
//	               ReLU outputs, so values are larger than with Inception's);
//	eval_label_kl  KL divergence of the classifier's predicted-label
//	               histogram of generated digits to the uniform one (0 when
//	               every digit is generated equally often);
//	eval_rec       mean squared reconstruction error per example on
//	               held-out data (auto-encoders only).
const (
	// Seed is the seed of cmd/compare's table and the default of
	// cmd/sample --score-seed: it seeds the prior draws, the choice of
	// held-out examples and the metrics' own random projections.
	Seed = 11
	// DigitsN is the number of generated and of held-out examples on
	// MNIST (as the quality table's 2,000 samples), ImagesN on other
	// image data.
	DigitsN = 2000
	ImagesN = 1000
	// ReconstructedN is the number of held-out examples reconstructed.
	ReconstructedN = 500
)

// Nets are the feature networks of FID and KID: the MNIST classifier
// (also label KL) and the CelebA attribute classifier, nil when not
// loaded.
type Nets struct {
	Digits *classifier.Classifier
	Faces  *classifier.CelebA
}

// Final computes the final image metrics of the loaded model l (nothing
// for 2-D data, whose metrics train's evaluation already gives), reading
// held-out examples from dataDir ("" = where the run found them). FID,
// KID and label KL need the network of l's data in nets. seed seeds the
// prior draws, the choice of held-out examples and the metrics' random
// projections (Seed for the numbers of cmd/compare's table; other seeds
// show how much of a score is the draw's).
func Final(l *train.Loaded, dataDir string, nets Nets, seed uint64) (map[string]float64, error) {
	clf, faces := nets.Digits, nets.Faces
	shape := l.Config.Model.DataShape
	if len(shape) != 3 {
		return nil, nil
	}
	c, h, w := shape[0], shape[1], shape[2]
	dim := c * h * w
	n := ImagesN
	if clf != nil {
		n = DigitsN
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	z := make([]float32, n*l.Config.Model.Latent)
	l.Model.SamplePrior(rng, z)
	gen, err := l.Model.Generate(z, n)
	if err != nil {
		return nil, err
	}
	real, err := l.Real(n, seed, dataDir)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	levels, err := eval.PyramidSWD(real, gen, c, h, w, eval.SWDOptions{Seed: seed})
	if err != nil {
		return nil, err
	}
	s := 0.0
	for _, v := range levels {
		s += v
	}
	out["eval_swd"] = 1e3 * s / float64(len(levels))
	var net eval.Featurer
	switch {
	case clf != nil:
		net = clf
	case faces != nil && dim == classifier.CelebAInputDim:
		net = faces
	}
	if net != nil {
		if out["eval_fid"], out["eval_kid"], err = eval.FeatureDistances(net, real, n, gen, n, eval.KIDOptions{Seed: seed}); err != nil {
			return nil, err
		}
	}
	if clf != nil {
		labels, err := clf.Predict(gen, n)
		if err != nil {
			return nil, err
		}
		if out["eval_label_kl"], err = eval.LabelKL(labels, 10); err != nil {
			return nil, err
		}
	}
	if l.Model.Encoder != nil {
		x := real[:ReconstructedN*dim]
		xhat, err := l.Model.Reconstruct(x, ReconstructedN)
		if err != nil {
			return nil, err
		}
		if out["eval_rec"], err = eval.ReconstructionError(x, xhat, dim); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Load returns the feature networks of data's FID and KID (none but for
// mnist and celeba) from the classifier checkpoint at path ("" = the cache
// path), training and saving the network there first when it is missing
// (about 2 minutes for MNIST, 3 for CelebA); it says which it uses on log.
func Load(ctx context.Context, data, path, dataDir string, log io.Writer) (Nets, error) {
	var (
		nets Nets
		err  error
	)
	switch data {
	case "mnist":
		nets.Digits, err = mnistClassifier(ctx, path, dataDir, log)
	case "celeba":
		nets.Faces, err = celebaClassifier(ctx, path, dataDir, log)
	}
	return nets, err
}

// mnistClassifier returns the classifier at path ("" = the default cache
// path), training and saving it first when there is none.
func mnistClassifier(ctx context.Context, path, dataDir string, log io.Writer) (*classifier.Classifier, error) {
	if path == "" {
		p, err := classifier.DefaultPath()
		if err != nil {
			return nil, err
		}
		path = p
	}
	dataDir, err := fetch.Dir("mnist", dataDir)
	if err != nil {
		return nil, err
	}
	clf, err := classifier.LoadOrTrain(ctx, path, dataDir, log)
	if err != nil {
		return nil, fmt.Errorf("mnist classifier for FID/KID: %w", err)
	}
	fmt.Fprintf(log, "FID, KID and label KL in the feature space of %s (test accuracy %.1f%%)\n", clf.Path(), 100*clf.Info().TestAccuracy)
	return clf, nil
}

// celebaClassifier returns the CelebA attribute classifier at path ("" =
// the default cache path), training and saving it first when there is
// none.
func celebaClassifier(ctx context.Context, path, dataDir string, log io.Writer) (*classifier.CelebA, error) {
	dataDir, err := fetch.Dir("celeba", dataDir)
	if err != nil {
		return nil, err
	}
	c, err := classifier.LoadOrTrainCelebA(ctx, path, dataDir, log)
	if err != nil {
		return nil, fmt.Errorf("celeba classifier for FID/KID: %w", err)
	}
	fmt.Fprintf(log, "FID and KID in the feature space of %s (mean attribute accuracy %.1f%%, majority baseline %.1f%%)\n",
		c.Path(), 100*c.Info().TestAccuracy, 100*c.Info().BaselineAccuracy)
	return c, nil
}
