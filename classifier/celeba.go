package classifier

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"

	"gorgonia.org/tensor"

	"otgen/data"
	"otgen/nn"
)

// Geometry of the CelebA attribute classifier's input and output.
const (
	// CelebASize is the side of the square faces the CelebA classifier
	// reads (64×64, the size otgen trains its CelebA models at).
	CelebASize = 64
	// CelebAInputDim is the number of values of an input face (3×64×64,
	// channels first, as data.OpenCelebA and the DCGAN generators give
	// them).
	CelebAInputDim = 3 * CelebASize * CelebASize
	// CelebAAttrs is the number of binary CelebA attributes it predicts.
	CelebAAttrs = 40
	// CelebAFeatureDim is the width of its feature layer (the penultimate
	// layer), in which FID and KID of CelebA samples are computed.
	CelebAFeatureDim = 128
)

// CelebA is otgen's CelebA attribute classifier: a small convolutional
// network that maps a 3×64×64 face with pixels in [-1, 1] (the range of
// train's CelebA data and of the tanh generators) to 40 logits, one per
// binary attribute of list_attr_celeba.txt (multi-label: a sigmoid per
// attribute, trained with the binary cross-entropy):
//
//	conv 4×4, 3→32, stride 2, pad 1, batch norm, ReLU      64×64 → 32×32
//	conv 4×4, 32→64, stride 2, pad 1, batch norm, ReLU     32×32 → 16×16
//	conv 4×4, 64→128, stride 2, pad 1, batch norm, ReLU    16×16 → 8×8
//	conv 4×4, 128→128, stride 2, pad 1, batch norm, ReLU   8×8 → 4×4
//	linear 2048→128, ReLU                   the feature layer (CelebAFeatureDim)
//	linear 128→40                           one logit per attribute
//
// Its feature layer is the space of the CelebA FID and KID (eval.FID,
// eval.KID), as the LeNet's is for MNIST: no network is downloaded.
//
// Its methods are safe for concurrent use, except Train, which must not
// run concurrently with anything else on the same classifier.
type CelebA struct {
	core
	info  CelebAInfo
	names []string // the attributes of the logits, once trained
	path  string   // the file last loaded or saved, if any
}

// CelebAInfo describes how a CelebA classifier was made; Save records it
// in the checkpoint header.
type CelebAInfo struct {
	// Seed is the seed of the initial weights, the training order and
	// the augmentation.
	Seed uint64 `json:"seed"`
	// Epochs and TrainExamples say how long and on how many faces it was
	// trained (0 for an untrained one).
	Epochs        int `json:"epochs"`
	TrainExamples int `json:"train_examples"`
	// TestExamples is the number of held-out faces of TestAccuracy and
	// BaselineAccuracy.
	TestExamples int `json:"test_examples,omitempty"`
	// TestAccuracy is the mean over the 40 attributes of the fraction of
	// held-out faces whose attribute it predicts correctly (logit > 0 for
	// present), or 0 if it was not measured.
	TestAccuracy float64 `json:"test_accuracy,omitempty"`
	// BaselineAccuracy is the same mean for the majority-class rule
	// (every face gets each attribute's most frequent value on the
	// training faces): what a classifier that ignores the faces reaches.
	BaselineAccuracy float64 `json:"baseline_accuracy,omitempty"`
}

// NewCelebA returns an untrained CelebA classifier whose weights are drawn
// with the given seed.
func NewCelebA(seed uint64) (*CelebA, error) {
	return buildCelebA(tensor.Float32, seed)
}

// buildCelebA creates the network in a store of the given dtype (float64
// only for gradient checks).
func buildCelebA(dt tensor.Dtype, seed uint64) (*CelebA, error) {
	s := nn.NewStore(dt)
	rng := rand.New(rand.NewPCG(seed, 0x636c6562))
	trunk := nn.Sequential{nn.Reshape{Shape: []int{3, CelebASize, CelebASize}}}
	in, h := 3, CelebASize
	for i, out := range []int{32, 64, 128, 128} {
		name := fmt.Sprintf("attr.c%d", i+1)
		c, err := nn.NewConv2d(s, name, in, out, 4, 2, 1, nn.HeNormal, rng)
		if err != nil {
			return nil, err
		}
		bn, err := nn.NewBatchNorm(s, name+".bn", out)
		if err != nil {
			return nil, err
		}
		trunk = append(trunk, c, bn, nn.ReLU{})
		in, h = out, h/2
	}
	fc, err := nn.NewLinear(s, "attr.fc", in*h*h, CelebAFeatureDim, nn.HeNormal, rng)
	if err != nil {
		return nil, err
	}
	out, err := nn.NewLinear(s, "attr.out", CelebAFeatureDim, CelebAAttrs, nn.GlorotUniform, rng)
	if err != nil {
		return nil, err
	}
	trunk = append(trunk, nn.Flatten{}, fc, nn.ReLU{})
	return &CelebA{core: core{
		prefix: "classifier: celeba", item: "face", shape: fmt.Sprintf("3×%d×%d", CelebASize, CelebASize),
		inDim: CelebAInputDim, featDim: CelebAFeatureDim, outDim: CelebAAttrs, inferBatch: celebaInferBatch,
		store: s, trunk: trunk, head: out,
	}, info: CelebAInfo{Seed: seed}}, nil
}

// Info returns how the classifier was made.
func (c *CelebA) Info() CelebAInfo { return c.info }

// Attributes returns the names of the attributes of the logits, in
// order, as the training faces' attribute file gave them (nil for an
// untrained classifier).
func (c *CelebA) Attributes() []string { return append([]string(nil), c.names...) }

// celebaInferBatch is the batch of the forward-only graph; the last
// partial batch is padded with zeros (batch norm uses its running
// statistics there, so padding does not change the other rows).
const celebaInferBatch = 100

// Features returns the activations of the feature layer (the penultimate
// layer, after its ReLU) for the n faces in images (n×3×64×64 values in
// [-1, 1], row-major): n rows of dim = CelebAFeatureDim values. FID and
// KID of CelebA samples are computed in this space.
func (c *CelebA) Features(images []float32, n int) (feat []float32, dim int, err error) {
	feat = make([]float32, max(n, 0)*CelebAFeatureDim)
	err = c.run(images, n, func(start, rows int, f, _ []float32) {
		copy(feat[start*CelebAFeatureDim:], f)
	})
	if err != nil {
		return nil, 0, err
	}
	return feat, CelebAFeatureDim, nil
}

// Predict returns, for each of the n faces in images, which of the 40
// attributes it predicts present (logit > 0): n rows of CelebAAttrs
// values, 1 for present and 0 for absent.
func (c *CelebA) Predict(images []float32, n int) ([]uint8, error) {
	out := make([]uint8, max(n, 0)*CelebAAttrs)
	err := c.run(images, n, func(start, rows int, _, logits []float32) {
		for i, z := range logits {
			if z > 0 {
				out[start*CelebAAttrs+i] = 1
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Accuracy returns, for each attribute, the fraction of the faces of set
// whose value it predicts correctly, and their mean over the attributes.
func (c *CelebA) Accuracy(set *CelebAFaces) (mean float64, perAttr []float64, err error) {
	if set == nil || set.Len() == 0 {
		return 0, nil, errors.New("classifier: celeba: accuracy on an empty set")
	}
	if c.names != nil && !slices.Equal(c.names, set.names) {
		return 0, nil, fmt.Errorf("classifier: celeba: the classifier predicts the attributes %v, the faces have %v", c.names, set.names)
	}
	perAttr = make([]float64, CelebAAttrs)
	const chunk = 1000 // faces converted to float32 at a time
	buf := make([]float32, chunk*CelebAInputDim)
	for lo := 0; lo < set.Len(); lo += chunk {
		hi := min(lo+chunk, set.Len())
		for i := lo; i < hi; i++ {
			set.Example(i, buf[(i-lo)*CelebAInputDim:(i-lo+1)*CelebAInputDim])
		}
		pred, err := c.Predict(buf[:(hi-lo)*CelebAInputDim], hi-lo)
		if err != nil {
			return 0, nil, err
		}
		for i := lo; i < hi; i++ {
			for j, a := range set.Attrs(i) {
				if pred[(i-lo)*CelebAAttrs+j] == a {
					perAttr[j]++
				}
			}
		}
	}
	for j := range perAttr {
		perAttr[j] /= float64(set.Len())
		mean += perAttr[j]
	}
	return mean / CelebAAttrs, perAttr, nil
}

// CelebAFaces is a set of CelebA faces at 64×64 with pixels in [-1, 1],
// each with its 40 binary attributes: what the CelebA classifier is
// trained and evaluated on. It is a view of an image set; views share
// their images.
type CelebAFaces struct {
	images *data.Images
	lo, hi int
	attrs  []uint8 // images.Len()×CelebAAttrs, 1 for present, 0 for absent
	names  []string
}

// CelebAHeldOut is the fraction of the faces (the last ones, in file-name
// order) that LoadCelebAFaces keeps out of training to measure the
// classifier's accuracy: the last tenth, the same faces that package
// train holds out of generative training on CelebA (train.CelebAHeldOut),
// so that FID against held-out faces compares with faces neither the
// generator nor the classifier was trained on.
const CelebAHeldOut = 0.1

// LoadCelebAFaces reads the CelebA folder dir (the one that holds
// img_align_celeba/ and list_attr_celeba.txt, e.g. $OTGEN_DATA/celeba) at
// 64×64 with pixels in [-1, 1] and the face box of data.OpenCelebA, with
// every image's 40 attributes, and splits it, in file-name order, into the
// faces to train on and the last CelebAHeldOut of them to test on. The
// attribute file must have the 40 columns of CelebA and a row for every
// image.
func LoadCelebAFaces(dir string) (train, test *CelebAFaces, err error) {
	images, err := data.OpenCelebA(dir, data.CelebAOptions{ImageOptions: data.ImageOptions{Size: CelebASize, Range: data.RangeSigned}})
	if err != nil {
		return nil, nil, fmt.Errorf("classifier: %w", err)
	}
	attrPath := filepath.Join(dir, data.CelebAAttrFile)
	table, err := data.LoadAttributes(attrPath)
	if err != nil {
		return nil, nil, fmt.Errorf("classifier: %w", err)
	}
	names := table.Names()
	if len(names) != CelebAAttrs {
		return nil, nil, fmt.Errorf("classifier: %s has %d attributes, want the %d of CelebA", attrPath, len(names), CelebAAttrs)
	}
	n := images.Len()
	attrs := make([]uint8, n*CelebAAttrs)
	for i := 0; i < n; i++ {
		for j, name := range names {
			v, err := table.Value(images.Name(i), name)
			if err != nil {
				return nil, nil, fmt.Errorf("classifier: %s: %w", attrPath, err)
			}
			if v > 0 {
				attrs[i*CelebAAttrs+j] = 1
			}
		}
	}
	nTest := max(1, int(float64(n)*CelebAHeldOut))
	if n-nTest < 1 {
		return nil, nil, fmt.Errorf("classifier: %s: %d faces, too few to hold %d out", dir, n, nTest)
	}
	all := &CelebAFaces{images: images, lo: 0, hi: n, attrs: attrs, names: names}
	return all.Slice(0, n-nTest), all.Slice(n-nTest, n), nil
}

// Len returns the number of faces.
func (f *CelebAFaces) Len() int { return f.hi - f.lo }

// Names returns the attribute names, in column order.
func (f *CelebAFaces) Names() []string { return append([]string(nil), f.names...) }

// Example writes face i into dst (CelebAInputDim values in [-1, 1]).
func (f *CelebAFaces) Example(i int, dst []float32) { f.images.Example(f.lo+i, dst) }

// Attrs returns the 40 attributes of face i, 1 for present and 0 for
// absent; the caller must not modify them.
func (f *CelebAFaces) Attrs(i int) []uint8 {
	j := f.lo + i
	return f.attrs[j*CelebAAttrs : (j+1)*CelebAAttrs : (j+1)*CelebAAttrs]
}

// Name returns the file name of face i.
func (f *CelebAFaces) Name(i int) string { return f.images.Name(f.lo + i) }

// Slice returns the faces lo..hi-1 of f (sharing its images). It panics
// unless 0 <= lo <= hi <= Len().
func (f *CelebAFaces) Slice(lo, hi int) *CelebAFaces {
	if lo < 0 || hi < lo || hi > f.Len() {
		panic(fmt.Sprintf("classifier: CelebAFaces.Slice(%d, %d) of %d faces", lo, hi, f.Len()))
	}
	g := *f
	g.lo, g.hi = f.lo+lo, f.lo+hi
	return &g
}

// Faces returns every face of f as Len()×CelebAInputDim values.
func (f *CelebAFaces) Faces() []float32 {
	out := make([]float32, f.Len()*CelebAInputDim)
	for i := 0; i < f.Len(); i++ {
		f.Example(i, out[i*CelebAInputDim:(i+1)*CelebAInputDim])
	}
	return out
}

// MajorityBaseline returns, for each attribute, the accuracy on test of
// the rule that gives every face the attribute's most frequent value in
// train, and their mean: the accuracy of a classifier that ignores the
// faces, which a trained one must beat.
func MajorityBaseline(train, test *CelebAFaces) (mean float64, perAttr []float64) {
	present := make([]int, CelebAAttrs)
	for i := 0; i < train.Len(); i++ {
		for j, a := range train.Attrs(i) {
			present[j] += int(a)
		}
	}
	perAttr = make([]float64, CelebAAttrs)
	for i := 0; i < test.Len(); i++ {
		for j, a := range test.Attrs(i) {
			majority := uint8(0)
			if 2*present[j] > train.Len() {
				majority = 1
			}
			if a == majority {
				perAttr[j]++
			}
		}
	}
	for j := range perAttr {
		perAttr[j] /= float64(test.Len())
		mean += perAttr[j]
	}
	return mean / CelebAAttrs, perAttr
}
