package data

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// indexSet is a Labeled dataset whose example i has every value equal to i
// and whose label is i%10, so that a batch reveals which examples it holds.
type indexSet struct {
	n   int
	dim int
}

func (s indexSet) Len() int     { return s.n }
func (s indexSet) Shape() []int { return []int{s.dim} }
func (s indexSet) Example(i int, dst []float32) {
	_ = dst[s.dim-1]
	for j := range dst[:s.dim] {
		dst[j] = float32(i)
	}
}
func (s indexSet) Label(i int) int { return i % 10 }

// unlabeled hides the Label method of an indexSet.
type unlabeled struct{ indexSet }

func (unlabeled) Label() {} // different signature: not Labeled

// batchIndices returns the example indices of a batch of indexSet examples.
func batchIndices(t *testing.T, dst []float32, dim int) []int {
	t.Helper()
	idx := make([]int, len(dst)/dim)
	for k := range idx {
		v := dst[k*dim]
		for j := 1; j < dim; j++ {
			if dst[k*dim+j] != v {
				t.Fatalf("example %d of the batch is not one dataset example: %v", k, dst[k*dim:(k+1)*dim])
			}
		}
		idx[k] = int(v)
	}
	return idx
}

// drawIndices draws nbatch batches from b over an indexSet of dimension dim
// and returns the indices of their examples in order.
func drawIndices(t *testing.T, b Batcher, nbatch, dim int) []int {
	t.Helper()
	dst := make([]float32, b.BatchSize()*dim)
	var all []int
	for range nbatch {
		if err := b.Next(dst); err != nil {
			t.Fatal(err)
		}
		all = append(all, batchIndices(t, dst, dim)...)
	}
	return all
}

func TestShuffleBatcherEpochsArePermutations(t *testing.T) {
	const n, dim, batch = 103, 3, 8 // batch does not divide n
	b, err := NewShuffleBatcher(indexSet{n, dim}, batch, 42)
	if err != nil {
		t.Fatal(err)
	}
	const epochs = 5
	all := drawIndices(t, b, epochs*n/batch+1, dim)
	identity := make([]int, n)
	for i := range identity {
		identity[i] = i
	}
	var orders [][]int
	for e := range epochs {
		ep := slices.Clone(all[e*n : (e+1)*n])
		orders = append(orders, slices.Clone(ep))
		slices.Sort(ep)
		if !slices.Equal(ep, identity) {
			t.Fatalf("epoch %d does not draw every example exactly once", e)
		}
	}
	if slices.Equal(orders[0], identity) {
		t.Error("epoch 0 is not shuffled")
	}
	for e := 1; e < epochs; e++ {
		if slices.Equal(orders[e], orders[e-1]) {
			t.Errorf("epochs %d and %d have the same order", e-1, e)
		}
	}
	if got := b.(*ShuffleBatcher).Epoch(); got != epochs {
		t.Errorf("Epoch() = %d after %d examples, want %d", got, len(all), epochs)
	}
}

func TestShuffleBatcherDeterministic(t *testing.T) {
	const n, dim, batch = 50, 2, 7
	draw := func(seed uint64) []int {
		b, err := NewShuffleBatcher(indexSet{n, dim}, batch, seed)
		if err != nil {
			t.Fatal(err)
		}
		return drawIndices(t, b, 20, dim)
	}
	a, b, c := draw(1), draw(1), draw(2)
	if !slices.Equal(a, b) {
		t.Error("same seed gave different batches")
	}
	if slices.Equal(a, c) {
		t.Error("seeds 1 and 2 gave the same batches")
	}
	// The order is part of the format of checkpoints: it must not change
	// between Go versions or platforms. These are the first indices of
	// seed 1, n=50.
	want := []int{37, 5, 47, 24, 31, 38, 7}
	if !slices.Equal(a[:len(want)], want) {
		t.Errorf("first batch of seed 1 = %v, want %v (the shuffle algorithm changed)", a[:len(want)], want)
	}
}

func TestShuffleBatcherLabels(t *testing.T) {
	const n, dim, batch = 30, 2, 4
	b, err := NewLabeledBatcher(indexSet{n, dim}, batch, 3)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, batch*dim)
	labels := make([]int, batch)
	for range 20 {
		if err := b.NextLabeled(dst, labels); err != nil {
			t.Fatal(err)
		}
		for k, i := range batchIndices(t, dst, dim) {
			if labels[k] != i%10 {
				t.Fatalf("example %d has label %d, want %d", i, labels[k], i%10)
			}
		}
	}
	if err := b.NextLabeled(dst, labels[:batch-1]); err == nil {
		t.Error("NextLabeled with a short label buffer: no error")
	}

	u, err := NewShuffleBatcher(unlabeled{indexSet{n, dim}}, batch, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.(LabeledBatcher).NextLabeled(dst, labels); err == nil {
		t.Error("NextLabeled on an unlabeled dataset: no error")
	}
}

// testResume draws before batches, saves the state, draws after batches,
// then restores the state into fresh, a new batcher made with the same
// arguments, and checks that it draws the same after batches bit for bit.
func testResume(t *testing.T, orig, fresh Batcher, before, after, dim int) {
	t.Helper()
	dst := make([]float32, orig.BatchSize()*dim)
	for range before {
		if err := orig.Next(dst); err != nil {
			t.Fatal(err)
		}
	}
	state, err := orig.State()
	if err != nil {
		t.Fatal(err)
	}
	var want [][]float32
	for range after {
		if err := orig.Next(dst); err != nil {
			t.Fatal(err)
		}
		want = append(want, slices.Clone(dst))
	}
	if err := fresh.Restore(state); err != nil {
		t.Fatal(err)
	}
	for i := range after {
		if err := fresh.Next(dst); err != nil {
			t.Fatal(err)
		}
		if !bitsEqual(dst, want[i]) {
			t.Fatalf("batch %d after restore differs from the uninterrupted run", i)
		}
	}
	// Restoring the same state again rewinds.
	if err := fresh.Restore(state); err != nil {
		t.Fatal(err)
	}
	if err := fresh.Next(dst); err != nil {
		t.Fatal(err)
	}
	if !bitsEqual(dst, want[0]) {
		t.Fatal("second restore of one state does not rewind")
	}
}

// bitsEqual reports whether a and b hold the same float32 bit patterns.
func bitsEqual(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return x == y || (x != x && y != y) })
}

func TestShuffleBatcherResume(t *testing.T) {
	const n, dim, batch = 37, 2, 5
	for _, before := range []int{0, 3, 7, 8, 15, 29} { // includes epoch boundaries
		orig, _ := NewShuffleBatcher(indexSet{n, dim}, batch, 9)
		fresh, _ := NewShuffleBatcher(indexSet{n, dim}, batch, 9)
		testResume(t, orig, fresh, before, 20, dim)
	}
}

func TestShuffleBatcherResumeAtEpochEnd(t *testing.T) {
	// With batch dividing n, a state is taken exactly at an epoch's end.
	const n, dim, batch = 20, 1, 5
	orig, _ := NewShuffleBatcher(indexSet{n, dim}, batch, 4)
	fresh, _ := NewShuffleBatcher(indexSet{n, dim}, batch, 4)
	testResume(t, orig, fresh, 4, 10, dim)
}

func TestStreamBatcherResume(t *testing.T) {
	for _, before := range []int{0, 1, 10} {
		orig, _ := NewStreamBatcher(EightGaussians(), 16, 5)
		fresh, _ := NewStreamBatcher(EightGaussians(), 16, 5)
		testResume(t, orig, fresh, before, 10, 2)
	}
}

func TestStreamBatcherDeterministic(t *testing.T) {
	draw := func(seed uint64) []float32 {
		b, err := NewStreamBatcher(EightGaussians(), 32, seed)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float32, 64)
		var all []float32
		for range 3 {
			if err := b.Next(dst); err != nil {
				t.Fatal(err)
			}
			all = append(all, dst...)
		}
		return all
	}
	if !bitsEqual(draw(7), draw(7)) {
		t.Error("same seed gave different batches")
	}
	if bitsEqual(draw(7), draw(8)) {
		t.Error("seeds 7 and 8 gave the same batches")
	}
}

func TestBatcherNoAllocs(t *testing.T) {
	sb, _ := NewShuffleBatcher(indexSet{100, 4}, 16, 1) // epochs end inside batches
	dst := make([]float32, 16*4)
	if a := testing.AllocsPerRun(100, func() { _ = sb.Next(dst) }); a != 0 {
		t.Errorf("ShuffleBatcher.Next: %v allocations per call, want 0", a)
	}
	lb, _ := NewLabeledBatcher(indexSet{100, 4}, 16, 1)
	labels := make([]int, 16)
	if a := testing.AllocsPerRun(100, func() { _ = lb.NextLabeled(dst, labels) }); a != 0 {
		t.Errorf("ShuffleBatcher.NextLabeled: %v allocations per call, want 0", a)
	}
	st, _ := NewStreamBatcher(EightGaussians(), 32, 1)
	dst2 := make([]float32, 32*2)
	if a := testing.AllocsPerRun(100, func() { _ = st.Next(dst2) }); a != 0 {
		t.Errorf("StreamBatcher.Next: %v allocations per call, want 0", a)
	}
}

func TestNewBatcherErrors(t *testing.T) {
	cases := []struct {
		name string
		err  func() error
	}{
		{"nil dataset", func() error { _, err := NewShuffleBatcher(nil, 1, 0); return err }},
		{"empty dataset", func() error { _, err := NewShuffleBatcher(indexSet{0, 1}, 1, 0); return err }},
		{"bad shape", func() error { _, err := NewShuffleBatcher(indexSet{5, 0}, 1, 0); return err }},
		{"batch 0", func() error { _, err := NewShuffleBatcher(indexSet{5, 1}, 0, 0); return err }},
		{"batch > len", func() error { _, err := NewShuffleBatcher(indexSet{5, 1}, 6, 0); return err }},
		{"nil stream", func() error { _, err := NewStreamBatcher(nil, 1, 0); return err }},
		{"stream batch -1", func() error { _, err := NewStreamBatcher(EightGaussians(), -1, 0); return err }},
		{"huge stream batch", func() error { _, err := NewStreamBatcher(EightGaussians(), 1<<31, 0); return err }},
	}
	for _, c := range cases {
		if err := c.err(); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	if b, err := NewShuffleBatcher(indexSet{5, 1}, 6, 0); b != nil || err == nil {
		t.Errorf("batch > len: got (%v, %v), want a nil Batcher and an error", b, err)
	}
}

func TestNextWrongBuffer(t *testing.T) {
	sb, _ := NewShuffleBatcher(indexSet{10, 3}, 4, 1)
	st, _ := NewStreamBatcher(EightGaussians(), 4, 1)
	for _, b := range []Batcher{sb, st} {
		dim := 3
		if b == st {
			dim = 2
		}
		before, _ := b.State()
		for _, n := range []int{0, 4*dim - 1, 4*dim + 1} {
			if err := b.Next(make([]float32, n)); err == nil {
				t.Errorf("%T.Next with %d values: no error", b, n)
			}
		}
		if err := b.Next(nil); err == nil {
			t.Errorf("%T.Next(nil): no error", b)
		}
		after, _ := b.State()
		if !bytes.Equal(before, after) {
			t.Errorf("%T.Next with a wrong buffer changed the state", b)
		}
	}
}

func TestRestoreErrors(t *testing.T) {
	sb, _ := NewShuffleBatcher(indexSet{10, 3}, 4, 1)
	_ = sb.Next(make([]float32, 12))
	good, _ := sb.State()
	st, _ := NewStreamBatcher(EightGaussians(), 4, 1)
	streamState, _ := st.State()

	flip := slices.Clone(good)
	flip[7] ^= 1
	other := func(n, dim, batch int, seed uint64) []byte {
		b, _ := NewShuffleBatcher(indexSet{n, dim}, batch, seed)
		s, _ := b.State()
		return s
	}
	cases := map[string][]byte{
		"nil":          nil,
		"empty":        {},
		"truncated":    good[:len(good)-1],
		"extended":     append(slices.Clone(good), 0),
		"bit flip":     flip,
		"stream state": streamState,
		"other seed":   other(10, 3, 4, 2),
		"other len":    other(11, 3, 4, 1),
		"other dim":    other(10, 2, 4, 1),
		"other batch":  other(10, 3, 5, 1),
	}
	for name, state := range cases {
		fresh, _ := NewShuffleBatcher(indexSet{10, 3}, 4, 1)
		before, _ := fresh.State()
		err := fresh.Restore(state)
		if !errors.Is(err, ErrState) {
			t.Errorf("shuffle batcher, %s state: error %v, want one wrapping ErrState", name, err)
		}
		after, _ := fresh.State()
		if !bytes.Equal(before, after) {
			t.Errorf("shuffle batcher, %s state: failed Restore changed the batcher", name)
		}
	}

	sflip := slices.Clone(streamState)
	sflip[len(sflip)-6] ^= 0x80
	otherSeed, _ := NewStreamBatcher(EightGaussians(), 4, 2)
	otherSeedState, _ := otherSeed.State()
	scases := map[string][]byte{
		"nil":           nil,
		"truncated":     streamState[:len(streamState)-2],
		"bit flip":      sflip,
		"shuffle state": good,
		"other seed":    otherSeedState,
	}
	for name, state := range scases {
		fresh, _ := NewStreamBatcher(EightGaussians(), 4, 1)
		if err := fresh.Restore(state); !errors.Is(err, ErrState) {
			t.Errorf("stream batcher, %s state: error %v, want one wrapping ErrState", name, err)
		}
	}
}

func TestUniformBelow(t *testing.T) {
	var src rand.PCG
	src.Seed(1, 2)
	var counts [6]int
	for range 60000 {
		counts[uniformBelow(&src, 6)]++
	}
	for v, c := range counts {
		if c < 9000 || c > 11000 {
			t.Errorf("value %d drawn %d times of 60000, want about 10000", v, c)
		}
	}
	if got := uniformBelow(&src, 1); got != 0 {
		t.Errorf("uniformBelow(1) = %d", got)
	}
}

// BenchmarkShuffleBatcherNext draws batches of 64 MNIST-sized digits
// (1x28x28 bytes converted to float32) from a synthetic 60,000-digit set,
// so it needs no data files. Bytes/op counts the float32s written.
func BenchmarkShuffleBatcherNext(b *testing.B) {
	const n, batch, size = 60000, 64, MNISTRows * MNISTCols
	m := newMNIST(n, make([]uint8, n*size), make([]uint8, n))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range m.images {
		m.images[i] = uint8(rng.Uint32())
	}
	for i := range m.labels {
		m.labels[i] = uint8(rng.IntN(10))
	}
	sb, err := NewShuffleBatcher(m, batch, 1)
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]float32, batch*size)
	b.SetBytes(int64(len(dst) * 4))
	b.ReportAllocs()
	for b.Loop() {
		if err := sb.Next(dst); err != nil {
			b.Fatal(err)
		}
	}
}
