package dist

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
)

// checkCollectives runs every collective of c with inputs that depend on
// the rank and checks the results against what they must be, computed
// independently of the transport. It runs on every rank of a job (local
// goroutines, or processes under mpirun) and returns the first mismatch.
func checkCollectives(c *Comm) error {
	r, n := c.Rank(), c.Size()
	// Values whose sum depends on the order of the additions, so that
	// every rank must use the same order to agree bit for bit.
	val := func(rank, i int) float64 {
		return 1/float64(rank+3) + float64(i)*1e-3 + math.Pow(10, float64(rank%3)*4)
	}

	const m = 1000
	f32 := make([]float32, m)
	f64 := make([]float64, m)
	for i := range f32 {
		f32[i] = float32(val(r, i))
		f64[i] = val(r, i)
	}
	if err := c.AllreduceFloat32(f32, Sum); err != nil {
		return err
	}
	if err := c.AllreduceFloat64(f64, Sum); err != nil {
		return err
	}
	for i := 0; i < m; i++ {
		want := 0.0
		for k := 0; k < n; k++ {
			want += val(k, i)
		}
		if math.Abs(f64[i]-want) > 1e-12*math.Abs(want) {
			return fmt.Errorf("allreduce float64 [%d] = %v, want %v", i, f64[i], want)
		}
		if math.Abs(float64(f32[i])-want) > 1e-6*math.Abs(want) {
			return fmt.Errorf("allreduce float32 [%d] = %v, want %v", i, f32[i], want)
		}
	}
	// Every rank holds the same result, bit for bit: gather rank 0's.
	got := make([]float64, n*m)
	if err := c.AllgatherFloat64(got, f64); err != nil {
		return err
	}
	for k := 1; k < n; k++ {
		for i := 0; i < m; i++ {
			if math.Float64bits(got[k*m+i]) != math.Float64bits(got[i]) {
				return fmt.Errorf("allreduce result [%d] differs between ranks 0 and %d: %v, %v", i, k, got[i], got[k*m+i])
			}
		}
	}

	for _, op := range []Op{Max, Min} {
		b := []float64{float64(r), -float64(r), 7}
		if err := c.AllreduceFloat64(b, op); err != nil {
			return err
		}
		want := []float64{float64(n - 1), 0, 7}
		if op == Min {
			want = []float64{0, -float64(n - 1), 7}
		}
		for i := range b {
			if b[i] != want[i] {
				return fmt.Errorf("allreduce %s = %v, want %v", op, b, want)
			}
		}
	}

	// Allgather of each type: rank k's block holds k's values.
	g32 := make([]float32, 3*n)
	if err := c.AllgatherFloat32(g32, []float32{float32(r), float32(10 * r), float32(-r)}); err != nil {
		return err
	}
	gb := make([]byte, 2*n)
	if err := c.AllgatherBytes(gb, []byte{byte(r), byte(100 + r)}); err != nil {
		return err
	}
	for k := 0; k < n; k++ {
		if g32[3*k] != float32(k) || g32[3*k+1] != float32(10*k) || g32[3*k+2] != float32(-k) {
			return fmt.Errorf("allgather float32 = %v", g32)
		}
		if gb[2*k] != byte(k) || gb[2*k+1] != byte(100+k) {
			return fmt.Errorf("allgather bytes = %v", gb)
		}
	}

	// Variable-size allgather: rank k brings k+1 bytes (rank 1 none, when
	// there are several ranks), then every rank none.
	mine := bytes.Repeat([]byte{byte('a' + r)}, r+1)
	if r == 1 {
		mine = nil
	}
	parts, err := c.AllgatherVar(mine)
	if err != nil {
		return err
	}
	if len(parts) != n {
		return fmt.Errorf("AllgatherVar returned %d parts, want %d", len(parts), n)
	}
	for k, p := range parts {
		want := bytes.Repeat([]byte{byte('a' + k)}, k+1)
		if k == 1 {
			want = []byte{}
		}
		if !bytes.Equal(p, want) || p == nil {
			return fmt.Errorf("AllgatherVar part %d = %q, want %q", k, p, want)
		}
	}
	if len(mine) > 0 {
		mine[0] = 'z' // the parts are copies
		if parts[r][0] == 'z' {
			return fmt.Errorf("AllgatherVar's part of rank %d aliases its src", r)
		}
	}
	if parts, err = c.AllgatherVar(nil); err != nil {
		return err
	}
	for k, p := range parts {
		if p == nil || len(p) != 0 {
			return fmt.Errorf("AllgatherVar of empty parts: part %d = %q", k, p)
		}
	}

	// Broadcast from the last rank.
	root := n - 1
	b32 := []float32{float32(r), 1}
	b64 := []float64{float64(r), 2}
	bb := []byte(fmt.Sprintf("rank %03d", r))
	if err := c.BroadcastFloat32(b32, root); err != nil {
		return err
	}
	if err := c.BroadcastFloat64(b64, root); err != nil {
		return err
	}
	if err := c.BroadcastBytes(bb, root); err != nil {
		return err
	}
	if b32[0] != float32(root) || b64[0] != float64(root) || string(bb) != fmt.Sprintf("rank %03d", root) {
		return fmt.Errorf("broadcast from %d gave %v %v %q", root, b32, b64, bb)
	}
	if err := c.Barrier(); err != nil {
		return err
	}

	// Check: nil everywhere, then a failure on the last rank only.
	if err := c.Check(nil); err != nil {
		return fmt.Errorf("Check(nil) = %v", err)
	}
	var failure error
	if r == n-1 {
		failure = fmt.Errorf("open /nowhere/mnist: %w", fs.ErrNotExist)
	}
	err = c.Check(failure)
	if err == nil || !IsShared(err) {
		return fmt.Errorf("Check with a failing rank = %v, want a shared error", err)
	}
	want := fmt.Sprintf("rank %d: open /nowhere/mnist", n-1)
	if n == 1 {
		want = "open /nowhere/mnist" // one rank: the error as it is
	}
	if !strings.Contains(err.Error(), want) {
		return fmt.Errorf("Check error %q does not contain %q", err, want)
	}
	if errors.Is(err, fs.ErrNotExist) != (r == n-1) {
		return fmt.Errorf("Check error on rank %d: errors.Is(ErrNotExist) = %v", r, errors.Is(err, fs.ErrNotExist))
	}
	return nil
}
