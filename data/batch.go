package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/bits"
	"math/rand/v2"
)

// ErrState is wrapped by the errors of Restore when a state is corrupt,
// truncated, of another kind of batcher, or taken from a batcher created with
// other arguments.
var ErrState = errors.New("data: invalid batcher state")

// ShuffleBatcher draws batches from a Dataset in a fresh random order every
// epoch. It implements Batcher and LabeledBatcher.
//
// The order of epoch e is a permutation derived only from (seed, e) with a
// PCG generator and a Fisher–Yates shuffle, so it does not depend on the Go
// version or the platform. Batches are drawn in order from the permutation;
// a batch that reaches the end of an epoch continues into the next epoch's
// permutation, so every batch is full and no example is dropped. A batch may
// therefore hold examples of two epochs, and so the same example twice (once
// from the end of one epoch, once from the start of the next).
//
// A ShuffleBatcher is not safe for concurrent use.
type ShuffleBatcher struct {
	d     Dataset
	lab   Labeled // d as Labeled, or nil
	n     int
	dim   int
	batch int
	seed  uint64
	epoch uint64 // epoch of perm
	pos   int    // next index into perm, 0 <= pos <= n
	perm  []int
}

// NewShuffleBatcher returns a *ShuffleBatcher over d with the given batch
// size and seed. It returns an error if d is nil or empty, its shape is
// invalid, batch < 1, or batch > d.Len().
func NewShuffleBatcher(d Dataset, batch int, seed uint64) (Batcher, error) {
	b, err := newShuffleBatcher(d, batch, seed)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// NewLabeledBatcher is NewShuffleBatcher for a Labeled dataset, returned as
// a LabeledBatcher so that NextLabeled needs no type assertion.
func NewLabeledBatcher(d Labeled, batch int, seed uint64) (LabeledBatcher, error) {
	b, err := newShuffleBatcher(d, batch, seed)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func newShuffleBatcher(d Dataset, batch int, seed uint64) (*ShuffleBatcher, error) {
	if d == nil {
		return nil, errors.New("data: shuffle batcher: nil dataset")
	}
	n := d.Len()
	if n < 1 {
		return nil, fmt.Errorf("data: shuffle batcher: dataset has %d examples, need at least 1", n)
	}
	dim, err := shapeSize(d.Shape())
	if err != nil {
		return nil, fmt.Errorf("data: shuffle batcher: %w", err)
	}
	if err := checkBatchSize(batch, dim); err != nil {
		return nil, fmt.Errorf("data: shuffle batcher: %w", err)
	}
	if batch > n {
		return nil, fmt.Errorf("data: shuffle batcher: batch size %d exceeds the dataset's %d examples", batch, n)
	}
	b := &ShuffleBatcher{d: d, n: n, dim: dim, batch: batch, seed: seed, perm: make([]int, n)}
	b.lab, _ = d.(Labeled)
	b.shuffle()
	return b, nil
}

// BatchSize returns the number of examples in a batch.
func (b *ShuffleBatcher) BatchSize() int { return b.batch }

// Shape returns the shape of one example.
func (b *ShuffleBatcher) Shape() []int { return b.d.Shape() }

// Epoch returns the number of epochs completed: 0 until every example has
// been drawn once, then 1, and so on.
func (b *ShuffleBatcher) Epoch() int {
	if b.pos == b.n {
		return int(b.epoch) + 1
	}
	return int(b.epoch)
}

// Next fills dst with the next batch. It returns an error, and leaves the
// batcher unchanged, if len(dst) != BatchSize()*D. It does not allocate.
func (b *ShuffleBatcher) Next(dst []float32) error {
	if err := checkBuffer(dst, b.batch, b.dim); err != nil {
		return fmt.Errorf("data: shuffle batcher: %w", err)
	}
	b.fill(dst, nil)
	return nil
}

// NextLabeled fills dst with the next batch and labels with the class of
// each of its examples. It returns an error if the dataset is not Labeled,
// or if len(dst) != BatchSize()*D or len(labels) != BatchSize().
func (b *ShuffleBatcher) NextLabeled(dst []float32, labels []int) error {
	if b.lab == nil {
		return fmt.Errorf("data: shuffle batcher: NextLabeled: dataset %T has no labels", b.d)
	}
	if err := checkBuffer(dst, b.batch, b.dim); err != nil {
		return fmt.Errorf("data: shuffle batcher: %w", err)
	}
	if len(labels) != b.batch {
		return fmt.Errorf("data: shuffle batcher: label buffer has %d entries, want %d", len(labels), b.batch)
	}
	b.fill(dst, labels)
	return nil
}

// fill draws the next batch into dst, and its labels into labels unless
// labels is nil.
func (b *ShuffleBatcher) fill(dst []float32, labels []int) {
	for k := 0; k < b.batch; k++ {
		if b.pos == b.n {
			b.epoch++
			b.pos = 0
			b.shuffle()
		}
		i := b.perm[b.pos]
		b.pos++
		b.d.Example(i, dst[k*b.dim:(k+1)*b.dim])
		if labels != nil {
			labels[k] = b.lab.Label(i)
		}
	}
}

// shuffle sets perm to the permutation of epoch b.epoch.
func (b *ShuffleBatcher) shuffle() {
	var src rand.PCG
	src.Seed(mix64(b.seed^shuffleDomain), mix64(b.epoch^mix64(b.seed)))
	for i := range b.perm {
		b.perm[i] = i
	}
	for i := len(b.perm) - 1; i > 0; i-- {
		j := int(uniformBelow(&src, uint64(i+1)))
		b.perm[i], b.perm[j] = b.perm[j], b.perm[i]
	}
}

// State returns the batcher's seed, dataset length, batch size, epoch and
// position in the epoch, with a checksum.
func (b *ShuffleBatcher) State() ([]byte, error) {
	return sealState(shuffleMagic, []uint64{b.seed, uint64(b.n), uint64(b.batch), uint64(b.dim), b.epoch, uint64(b.pos)}, nil), nil
}

// Restore continues where State was taken. It regenerates one permutation,
// so it costs O(Len()).
func (b *ShuffleBatcher) Restore(state []byte) error {
	f, _, err := openState(state, shuffleMagic, 6, 0)
	if err != nil {
		return fmt.Errorf("data: shuffle batcher: restore: %w", err)
	}
	seed, n, batch, dim, epoch, pos := f[0], f[1], f[2], f[3], f[4], f[5]
	switch {
	case seed != b.seed:
		err = fmt.Errorf("state has seed %d, batcher has %d", seed, b.seed)
	case n != uint64(b.n):
		err = fmt.Errorf("state is for a dataset of %d examples, batcher has %d", n, b.n)
	case batch != uint64(b.batch):
		err = fmt.Errorf("state has batch size %d, batcher has %d", batch, b.batch)
	case dim != uint64(b.dim):
		err = fmt.Errorf("state has %d values per example, batcher has %d", dim, b.dim)
	case pos > n:
		err = fmt.Errorf("state has position %d past the dataset's %d examples", pos, n)
	}
	if err != nil {
		return fmt.Errorf("data: shuffle batcher: restore: %w: %v", ErrState, err)
	}
	if epoch != b.epoch {
		b.epoch = epoch
		b.shuffle()
	}
	b.pos = int(pos)
	return nil
}

// StreamBatcher draws batches from a Stream with a PCG generator seeded from
// one seed. It implements Batcher; its State is the generator's state.
//
// A StreamBatcher is not safe for concurrent use.
type StreamBatcher struct {
	s     Stream
	dim   int
	batch int
	seed  uint64
	src   rand.PCG
	rng   *rand.Rand // reads src
}

// NewStreamBatcher returns a *StreamBatcher over s with the given batch size
// and seed. It returns an error if s is nil, its shape is invalid, or
// batch < 1.
func NewStreamBatcher(s Stream, batch int, seed uint64) (Batcher, error) {
	if s == nil {
		return nil, errors.New("data: stream batcher: nil stream")
	}
	dim, err := shapeSize(s.Shape())
	if err != nil {
		return nil, fmt.Errorf("data: stream batcher: %w", err)
	}
	if err := checkBatchSize(batch, dim); err != nil {
		return nil, fmt.Errorf("data: stream batcher: %w", err)
	}
	b := &StreamBatcher{s: s, dim: dim, batch: batch, seed: seed}
	b.src.Seed(mix64(seed^streamDomain), mix64(seed))
	b.rng = rand.New(&b.src)
	return b, nil
}

// BatchSize returns the number of examples in a batch.
func (b *StreamBatcher) BatchSize() int { return b.batch }

// Shape returns the shape of one example.
func (b *StreamBatcher) Shape() []int { return b.s.Shape() }

// Next fills dst with a batch of fresh samples. It returns an error, and
// leaves the batcher unchanged, if len(dst) != BatchSize()*D.
func (b *StreamBatcher) Next(dst []float32) error {
	if err := checkBuffer(dst, b.batch, b.dim); err != nil {
		return fmt.Errorf("data: stream batcher: %w", err)
	}
	b.s.Sample(b.rng, dst)
	return nil
}

// State returns the batcher's seed, batch size and generator state, with a
// checksum.
func (b *StreamBatcher) State() ([]byte, error) {
	pcg, err := b.src.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("data: stream batcher: state: %w", err)
	}
	return sealState(streamMagic, []uint64{b.seed, uint64(b.batch), uint64(b.dim)}, pcg), nil
}

// Restore continues where State was taken.
func (b *StreamBatcher) Restore(state []byte) error {
	f, pcg, err := openState(state, streamMagic, 3, pcgStateLen)
	if err != nil {
		return fmt.Errorf("data: stream batcher: restore: %w", err)
	}
	seed, batch, dim := f[0], f[1], f[2]
	switch {
	case seed != b.seed:
		err = fmt.Errorf("state has seed %d, batcher has %d", seed, b.seed)
	case batch != uint64(b.batch):
		err = fmt.Errorf("state has batch size %d, batcher has %d", batch, b.batch)
	case dim != uint64(b.dim):
		err = fmt.Errorf("state has %d values per example, batcher has %d", dim, b.dim)
	}
	if err != nil {
		return fmt.Errorf("data: stream batcher: restore: %w: %v", ErrState, err)
	}
	var src rand.PCG
	if err := src.UnmarshalBinary(pcg); err != nil {
		return fmt.Errorf("data: stream batcher: restore: %w: generator: %v", ErrState, err)
	}
	b.src = src
	return nil
}

// checkBatchSize reports an error unless 1 <= batch and a batch of batch
// examples of dim values has an int length on every platform.
func checkBatchSize(batch, dim int) error {
	if batch < 1 {
		return fmt.Errorf("batch size %d, need at least 1", batch)
	}
	if batch > maxInt32/dim {
		return fmt.Errorf("batch size %d of %d values per example is too large", batch, dim)
	}
	return nil
}

// checkBuffer reports an error unless len(dst) == batch*dim.
func checkBuffer(dst []float32, batch, dim int) error {
	if len(dst) != batch*dim {
		return fmt.Errorf("batch buffer has %d values, want %d (%d examples of %d)", len(dst), batch*dim, batch, dim)
	}
	return nil
}

// Batcher states are: a 4-byte magic naming the kind of batcher, a version
// byte, little-endian uint64 fields, an optional blob, then the IEEE CRC-32
// of everything before it, little-endian.
const (
	shuffleMagic = "OTSB"
	streamMagic  = "OTST"
	stateVersion = 1
	pcgStateLen  = 20 // length of rand.PCG's binary encoding

	// Domain separators, so that a shuffle batcher and a stream batcher
	// with one seed use unrelated generators.
	shuffleDomain = 0x53485546464c4531 // "SHUFFLE1"
	streamDomain  = 0x53545245414d3031 // "STREAM01"
)

// sealState encodes a batcher state.
func sealState(magic string, fields []uint64, blob []byte) []byte {
	buf := make([]byte, 0, len(magic)+1+8*len(fields)+len(blob)+4)
	buf = append(buf, magic...)
	buf = append(buf, stateVersion)
	for _, f := range fields {
		buf = binary.LittleEndian.AppendUint64(buf, f)
	}
	buf = append(buf, blob...)
	return binary.LittleEndian.AppendUint32(buf, crc32.ChecksumIEEE(buf))
}

// openState decodes a state written by sealState with the given magic,
// nfields fields and a blob of blobLen bytes. Its errors wrap ErrState.
func openState(state []byte, magic string, nfields, blobLen int) ([]uint64, []byte, error) {
	want := len(magic) + 1 + 8*nfields + blobLen + 4
	if len(state) < len(magic) || string(state[:len(magic)]) != magic {
		return nil, nil, fmt.Errorf("%w: not a %s state", ErrState, magicKind(magic))
	}
	if len(state) != want {
		return nil, nil, fmt.Errorf("%w: %d bytes, want %d", ErrState, len(state), want)
	}
	body, sum := state[:want-4], binary.LittleEndian.Uint32(state[want-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, nil, fmt.Errorf("%w: checksum mismatch", ErrState)
	}
	if v := body[len(magic)]; v != stateVersion {
		return nil, nil, fmt.Errorf("%w: version %d, want %d", ErrState, v, stateVersion)
	}
	p := body[len(magic)+1:]
	fields := make([]uint64, nfields)
	for i := range fields {
		fields[i] = binary.LittleEndian.Uint64(p[8*i:])
	}
	return fields, p[8*nfields:], nil
}

// magicKind names the batcher whose states start with magic.
func magicKind(magic string) string {
	if magic == shuffleMagic {
		return "shuffle batcher"
	}
	return "stream batcher"
}

// mix64 is the SplitMix64 finaliser, a bijection of uint64 that spreads
// every input bit over the output.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// uniformBelow returns a uniform integer in [0, n), n > 0, by Lemire's
// multiply-and-reject method. Unlike rand.Rand's, its output does not
// depend on the platform's word size.
func uniformBelow(src *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}
