package nn

import (
	"math"
	"math/rand/v2"
)

// An Initializer fills dst with initial values for a parameter whose layer
// has the given fan-in and fan-out.
type Initializer func(rng *rand.Rand, fanIn, fanOut int, dst []float64)

// HeNormal draws from N(0, 2/fanIn) (He et al. 2015), suited to ReLU layers.
func HeNormal(rng *rand.Rand, fanIn, _ int, dst []float64) {
	std := math.Sqrt(2 / float64(fanIn))
	for i := range dst {
		dst[i] = rng.NormFloat64() * std
	}
}

// HeUniform draws from U(-b, b) with b = sqrt(6/fanIn), the uniform variant of
// HeNormal with the same variance.
func HeUniform(rng *rand.Rand, fanIn, _ int, dst []float64) {
	uniform(rng, math.Sqrt(6/float64(fanIn)), dst)
}

// GlorotUniform draws from U(-b, b) with b = sqrt(6/(fanIn+fanOut)) (Glorot
// and Bengio 2010), suited to tanh and sigmoid layers.
func GlorotUniform(rng *rand.Rand, fanIn, fanOut int, dst []float64) {
	uniform(rng, math.Sqrt(6/float64(fanIn+fanOut)), dst)
}

// GlorotNormal draws from N(0, 2/(fanIn+fanOut)).
func GlorotNormal(rng *rand.Rand, fanIn, fanOut int, dst []float64) {
	std := math.Sqrt(2 / float64(fanIn+fanOut))
	for i := range dst {
		dst[i] = rng.NormFloat64() * std
	}
}

// TorchDefault draws from U(-1/sqrt(fanIn), 1/sqrt(fanIn)), the default of
// PyTorch's nn.Linear for weights and biases.
func TorchDefault(rng *rand.Rand, fanIn, _ int, dst []float64) {
	uniform(rng, 1/math.Sqrt(float64(fanIn)), dst)
}

// Zeros fills dst with zeros.
func Zeros(_ *rand.Rand, _, _ int, dst []float64) {
	clear(dst)
}

func uniform(rng *rand.Rand, b float64, dst []float64) {
	for i := range dst {
		dst[i] = (2*rng.Float64() - 1) * b
	}
}
