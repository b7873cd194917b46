package eval

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// halves is a Featurer whose features are the first half of each row.
type halves struct {
	d   int
	err error
}

func (h halves) Features(x []float32, n int) ([]float32, int, error) {
	if h.err != nil {
		return nil, 0, h.err
	}
	out := make([]float32, 0, n*h.d/2)
	for i := 0; i < n; i++ {
		out = append(out, x[i*h.d:i*h.d+h.d/2]...)
	}
	return out, h.d / 2, nil
}

// TestFeatureDistances: FID and KID of the features, as FID and KID of
// the feature rows would give them; a failing network is an error that
// says which side.
func TestFeatureDistances(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const d, n, m = 8, 300, 200
	x := make([]float32, n*d)
	y := make([]float32, m*d)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for i := range y {
		y[i] = float32(rng.NormFloat64() + 0.5)
	}
	net := halves{d: d}
	fid, kid, err := FeatureDistances(net, x, n, y, m, KIDOptions{Subsets: 10, SubsetSize: 100, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	fx, _, _ := net.Features(x, n)
	fy, _, _ := net.Features(y, m)
	wantFID, _ := FID(fx, fy, d/2)
	wantKID, _, _ := KID(fx, fy, d/2, KIDOptions{Subsets: 10, SubsetSize: 100, Seed: 3})
	if fid != wantFID || kid != wantKID || !(fid > 0.5) {
		t.Errorf("FID %v, KID %v; want %v, %v", fid, kid, wantFID, wantKID)
	}
	boom := errors.New("boom")
	if _, _, err := FeatureDistances(halves{d: d, err: boom}, x, n, y, m, KIDOptions{}); !errors.Is(err, boom) || !strings.Contains(err.Error(), "real images") {
		t.Errorf("failing network: %v", err)
	}
}
