// Package data provides otgen's datasets behind a few small interfaces: finite
// indexable datasets (MNIST read from IDX files), infinite samplers (the 2-D
// toy distributions of Gulrajani et al.'s gan_toy.py: 8 Gaussians,
// 25 Gaussians and the Swiss roll), and batchers that fill caller-owned
// buffers with seeded, resumable batches.
//
// Examples are float32 vectors laid out in row-major order of their Shape. A
// batch of B examples of dimension D (the product of Shape) is B*D float32s,
// example after example.
//
// Image files (CelebA and other image folders) are read by DecodeImage,
// which refuses from the header, before decoding, an image of more than
// MaxImagePixels pixels, so that a small file declaring a huge image cannot
// exhaust memory.
//
// Every random choice comes from a seed, and a batcher's State can be stored
// in a checkpoint and restored later to continue exactly, bit for bit. Package
// data depends on the standard library and golang.org/x/image (resizing).
package data

import (
	"fmt"
	"math/rand/v2"
)

// Dataset is a finite, indexable set of examples, all of one Shape.
type Dataset interface {
	// Len returns the number of examples.
	Len() int
	// Shape returns the shape of one example, e.g. [1 28 28] for MNIST.
	// The caller may modify the returned slice.
	Shape() []int
	// Example copies example i into dst. len(dst) must be the product of
	// Shape and 0 <= i < Len(); otherwise Example panics, as slice indexing
	// does, since that is a programming error.
	Example(i int, dst []float32)
}

// Labeled is a Dataset with an integer class per example.
type Labeled interface {
	Dataset
	// Label returns the class of example i.
	Label(i int) int
}

// Stream is an infinite distribution that can be sampled.
type Stream interface {
	// Shape returns the shape of one example, e.g. [2] for the 2-D toys.
	// The caller may modify the returned slice.
	Shape() []int
	// Sample fills dst with len(dst)/D independent examples, where D is the
	// product of Shape, drawing randomness only from rng. Values past the
	// last whole example are left untouched.
	Sample(rng *rand.Rand, dst []float32)
}

// Batcher fills caller-owned buffers with batches; it never allocates per
// batch.
type Batcher interface {
	// BatchSize returns the number of examples in a batch.
	BatchSize() int
	// Shape returns the shape of one example.
	Shape() []int
	// Next fills dst with the next batch. len(dst) must be
	// BatchSize()*D, where D is the product of Shape, else Next returns an
	// error and leaves the batcher unchanged.
	Next(dst []float32) error
	// State returns an opaque description of the batcher's position, to be
	// stored in checkpoints.
	State() ([]byte, error)
	// Restore continues exactly where State was taken. The batcher must
	// have been created with the same arguments (data, batch size and
	// seed) as the one whose State is given. A corrupt or foreign state is
	// an error and leaves the batcher unchanged.
	Restore(state []byte) error
}

// LabeledBatcher is a Batcher over a Labeled dataset that can also report
// the class of every example of a batch.
type LabeledBatcher interface {
	Batcher
	// NextLabeled fills dst with the next batch, as Next does, and labels
	// with the class of each of its examples. len(labels) must be
	// BatchSize().
	NextLabeled(dst []float32, labels []int) error
}

// shapeSize returns the number of values of one example of the given shape,
// or an error if the shape is empty or has a non-positive or too large
// dimension.
func shapeSize(shape []int) (int, error) {
	if len(shape) == 0 {
		return 0, fmt.Errorf("empty shape")
	}
	size := 1
	for _, d := range shape {
		if d <= 0 {
			return 0, fmt.Errorf("shape %v has a non-positive dimension", shape)
		}
		if size > maxInt32/d {
			return 0, fmt.Errorf("shape %v is too large", shape)
		}
		size *= d
	}
	return size, nil
}

// maxInt32 bounds sizes so that they fit an int on every platform.
const maxInt32 = 1<<31 - 1
