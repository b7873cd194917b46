package eval

import "fmt"

// Featurer maps images to feature vectors: the classifiers of package
// classifier (the MNIST LeNet, the CelebA attribute classifier), whose
// penultimate layer is the space in which FID and KID are computed.
type Featurer interface {
	// Features returns n rows of dim features for the n images in
	// images (row-major, as the network reads them).
	Features(images []float32, n int) (feat []float32, dim int, err error)
}

// FeatureDistances returns FID and KID (its mean over opts' subsets)
// between the n real and the m generated images in the feature space of
// net: the image metrics of cmd/compare for MNIST (the LeNet) and CelebA
// (the attribute classifier). Compare values computed with the same
// network and equally many images (FID is biased upwards for small
// samples).
func FeatureDistances(net Featurer, real []float32, n int, gen []float32, m int, opts KIDOptions) (fid, kid float64, err error) {
	fr, d, err := net.Features(real, n)
	if err != nil {
		return 0, 0, fmt.Errorf("eval: features of the real images: %w", err)
	}
	fg, dg, err := net.Features(gen, m)
	if err != nil {
		return 0, 0, fmt.Errorf("eval: features of the generated images: %w", err)
	}
	if d != dg {
		return 0, 0, fmt.Errorf("eval: %d real and %d generated features", d, dg)
	}
	if fid, err = FID(fr, fg, d); err != nil {
		return 0, 0, err
	}
	if kid, _, err = KID(fr, fg, d, opts); err != nil {
		return 0, 0, err
	}
	return fid, kid, nil
}
