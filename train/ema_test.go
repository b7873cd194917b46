package train

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"otgen/models"
)

// generatorValues copies the generator's live parameters and buffers.
func generatorValues(r *Run) map[string][]float32 {
	out := map[string][]float32{}
	for _, t := range r.Model.Store.Tensors() {
		if models.IsGenerator(t.Name) {
			out[t.Name] = append([]float32(nil), t.Data...)
		}
	}
	return out
}

// emaRun starts a wgan-gp toy run of the given steps with a moving average
// of the given decay; Close is deferred to the test's end.
func emaRun(t *testing.T, steps int, decay float64) *Run {
	t.Helper()
	cfg := toyConfig(t, "wgan-gp", steps)
	cfg.EMA = decay
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// iterateToEnd runs the iterations left in r without Train's files.
func iterateToEnd(t *testing.T, r *Run) {
	t.Helper()
	for r.Step() < r.Config.Steps {
		if err := r.iterate(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEMAFollowsItsRecurrence: after every iteration each average is
// avg + (1 − decay)(live − avg), computed here from the live weights the
// iterations leave (bit for bit), starting from the initial weights; the
// critic has no average.
func TestEMAFollowsItsRecurrence(t *testing.T) {
	r := emaRun(t, 5, 0.75)
	cfg := r.Config
	want := generatorValues(r)
	if len(want) == 0 || len(r.ema) != len(want) {
		t.Fatalf("%d averages for %d generator tensors", len(r.ema), len(want))
	}
	for r.Step() < cfg.Steps {
		if err := r.iterate(); err != nil {
			t.Fatal(err)
		}
		for name, live := range generatorValues(r) {
			avg := want[name]
			for i, v := range live {
				avg[i] += float32(1-cfg.EMA) * (v - avg[i])
			}
		}
	}
	moved := false
	for _, a := range r.ema {
		if strings.HasPrefix(a.name, "critic") {
			t.Fatalf("the critic's %s is averaged", a.name)
		}
		for i, v := range a.avg {
			if math.Float32bits(v) != math.Float32bits(want[a.name][i]) {
				t.Fatalf("%s[%d]: average %v, want %v", a.name, i, v, want[a.name][i])
			}
			moved = moved || v != a.live[i]
		}
	}
	if !moved {
		t.Fatal("the averages equal the live weights after 5 steps")
	}
}

// TestEMAResumeIsExact: a run with an average resumes bit for bit, the
// averages included (they are in the compared state).
func TestEMAResumeIsExact(t *testing.T) {
	checkResumeExact(t, func() Config {
		c := toyConfig(t, "sinkhorn-gan", 0)
		c.EMA = 0.9
		return c
	})
}

// TestEMAFiguresKeepLiveWeights: drawing samples and evaluating with the
// average leaves the live weights the optimiser trains exactly as they were.
func TestEMAFiguresKeepLiveWeights(t *testing.T) {
	r := emaRun(t, 6, 0.5)
	iterateToEnd(t, r)
	before, avg := params(t, r), append([]float32(nil), r.ema[0].avg...)
	if err := r.SaveSamples(filepath.Join(r.Config.Out, "s.png")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Evaluate(); err != nil {
		t.Fatal(err)
	}
	after := params(t, r)
	for i := range before {
		if math.Float32bits(before[i]) != math.Float32bits(after[i]) {
			t.Fatalf("state value %d changed from %v to %v", i, before[i], after[i])
		}
	}
	for i, v := range r.ema[0].avg {
		if v != avg[i] {
			t.Fatalf("average %s changed", r.ema[0].name)
		}
	}
}

// TestLoadDecodesTheAverage: Load gives the averaged generator and the
// trained critic, LoadLive the trained weights of both.
func TestLoadDecodesTheAverage(t *testing.T) {
	r := emaRun(t, 20, 0.9)
	if err := r.Train(t.Context()); err != nil {
		t.Fatal(err)
	}
	avg, live := map[string][]float32{}, map[string][]float32{}
	for _, a := range r.ema {
		avg[a.name], live[a.name] = a.avg, a.live
	}
	for _, tc := range []struct {
		name string
		load func(string) (*Loaded, error)
		want map[string][]float32
	}{{"Load", Load, avg}, {"LoadLive", LoadLive, live}} {
		l, err := tc.load(r.CheckpointPath())
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, ts := range l.Model.Store.Tensors() {
			want := tc.want[ts.Name]
			if !models.IsGenerator(ts.Name) {
				v, _ := r.Model.Store.Value(ts.Name)
				want = v.Data().([]float32)
			}
			for i, v := range ts.Data {
				if v != want[i] {
					t.Fatalf("%s: %s[%d] = %v, want %v", tc.name, ts.Name, i, v, want[i])
				}
			}
			checked++
		}
		if checked == 0 {
			t.Fatalf("%s loaded no tensors", tc.name)
		}
	}
	differ := false
	for name := range avg {
		for i := range avg[name] {
			differ = differ || avg[name][i] != live[name][i]
		}
	}
	if !differ {
		t.Fatal("the average equals the live weights: the test cannot tell Load from LoadLive")
	}
}

// TestEMABadDecay: a decay outside [0, 1) is refused with an error naming it.
func TestEMABadDecay(t *testing.T) {
	for _, d := range []float64{1, -0.1, 1.5, math.NaN(), math.Inf(1)} {
		cfg := toyConfig(t, "wgan-gp", 1)
		cfg.EMA = d
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "EMA decay") {
			t.Errorf("decay %v: error %v", d, err)
		}
	}
}

// TestEMAEvaluatesTheAverage: a run's evaluation with an average gives the
// metrics of the averaged generator, not those of the live one.
func TestEMAEvaluatesTheAverage(t *testing.T) {
	r := emaRun(t, 30, 0.9)
	iterateToEnd(t, r)
	got, err := r.Evaluate()
	if err != nil {
		t.Fatal(err)
	}
	ema := r.ema
	r.ema = nil
	live, err := r.Evaluate()
	if err != nil {
		t.Fatal(err)
	}
	r.ema = ema
	r.swapAverages()
	r.ema = nil
	want, err := r.Evaluate()
	if err != nil {
		t.Fatal(err)
	}
	if got["eval_mmd"] != want["eval_mmd"] || got["eval_w2"] != want["eval_w2"] {
		t.Fatalf("evaluation with the average: %v, of the averaged generator: %v", got, want)
	}
	if got["eval_w2"] == live["eval_w2"] {
		t.Fatalf("the averaged and the live generator evaluate the same (%v): the test cannot tell them apart", live)
	}
}
