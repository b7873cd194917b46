package board

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otgen/train"
)

// pngBytes encodes a w x h gradient.
func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(255 * x / w), uint8(255 * y / h), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// metricsCSV writes the rows 1..n of a run: a loss falling as 1/step and
// an evaluation column filled every evalEvery steps.
func metricsCSV(n, evalEvery int) string {
	var b strings.Builder
	b.WriteString("step,loss,eval_w2\n")
	for s := 1; s <= n; s++ {
		ev := ""
		if s%evalEvery == 0 {
			ev = fmt.Sprintf("%g", 2.0/float64(s))
		}
		fmt.Fprintf(&b, "%d,%g,%s\n", s, 1/float64(s)+0.01*float64(s%3), ev)
	}
	return b.String()
}

func configJSON(data, loss string, steps int) []byte {
	b, _ := json.Marshal(map[string]any{"data": map[string]string{"name": data}, "loss": map[string]string{"name": loss}, "steps": steps, "seed": 1})
	return b
}

// outsideValue is the metric value of the outside folder's metrics.csv:
// a response that holds it has leaked that file. Its decimal point keeps
// it out of the digits of temporary folder names that error messages may
// echo (the value was once 42, found in such a name one run in ten).
const outsideValue = "31415.9265"

// fixture is a runs folder with runs in every state, a comparison, and
// files outside it that symbolic links point to.
type fixture struct {
	root    string // the runs folder
	outside string // a folder beside it with a secret
	secret  []byte
	png     []byte
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	base := t.TempDir()
	f := &fixture{root: filepath.Join(base, "runs"), outside: filepath.Join(base, "outside"), secret: []byte("SECRET-" + fmt.Sprint(time.Now().UnixNano())), png: pngBytes(t, 48, 32)}
	r := f.root
	// finished: 20 of 20 steps, samples at 10 and 20.
	write(t, filepath.Join(r, "finished", "config.json"), configJSON("8gaussians", "minibatch-w", 20))
	write(t, filepath.Join(r, "finished", "metrics.csv"), []byte(metricsCSV(20, 5)))
	write(t, filepath.Join(r, "finished", "samples.png"), f.png)
	write(t, filepath.Join(r, "finished", "samples", "step_0000010.png"), f.png)
	write(t, filepath.Join(r, "finished", "samples", "step_0000020.png"), f.png)
	// live: 6 of 100 steps and a row being written.
	write(t, filepath.Join(r, "live", "config.json"), configJSON("mnist", "vae", 100))
	write(t, filepath.Join(r, "live", "metrics.csv"), []byte(metricsCSV(6, 5)+"7,0.1"))
	write(t, filepath.Join(r, "live", "samples.png"), f.png)
	// corrupt metrics.
	write(t, filepath.Join(r, "corrupt", "config.json"), configJSON("8gaussians", "wgan", 10))
	write(t, filepath.Join(r, "corrupt", "metrics.csv"), []byte("step,loss\n1,0.5\n2,abc\n3,0.2\n"))
	// finished, but samples.png is gone.
	write(t, filepath.Join(r, "nopng", "config.json"), configJSON("8gaussians", "aae", 5))
	write(t, filepath.Join(r, "nopng", "metrics.csv"), []byte(metricsCSV(5, 5)))
	write(t, filepath.Join(r, "nopng", "samples", "step_0000005.png"), f.png)
	// samples.png cut short.
	write(t, filepath.Join(r, "badpng", "config.json"), configJSON("8gaussians", "wae-mmd", 50))
	write(t, filepath.Join(r, "badpng", "metrics.csv"), []byte(metricsCSV(3, 5)))
	write(t, filepath.Join(r, "badpng", "samples.png"), f.png[:len(f.png)/2])
	// a comparison with one run inside.
	c := filepath.Join(r, "compare-8gaussians")
	write(t, filepath.Join(c, "results.csv"), []byte("loss,seed,eval_w2,steps,wall_s,step_ms\nminibatch-w,1,0.0312,20,1.50,75.00\nsinkhorn,1,0.0456,20,2.10,105.00\n"))
	write(t, filepath.Join(c, "results.json"), []byte(`[{"loss":"minibatch-w","seed":1,"steps":20,"wall_s":1.5,"step_ms":75,"metrics":{"eval_w2":0.0312},"dir":"x"}]`))
	write(t, filepath.Join(c, "curves.png"), f.png)
	write(t, filepath.Join(c, "minibatch-w-seed1", "config.json"), configJSON("8gaussians", "minibatch-w", 20))
	write(t, filepath.Join(c, "minibatch-w-seed1", "metrics.csv"), []byte(metricsCSV(20, 10)))
	write(t, filepath.Join(c, "minibatch-w-seed1", "samples.png"), f.png)
	// outside the runs folder, and links to it from inside.
	write(t, filepath.Join(f.outside, "secret.png"), f.secret)
	write(t, filepath.Join(f.outside, "metrics.csv"), []byte("step,secret\n1,"+outsideValue+"\n"))
	write(t, filepath.Join(f.outside, "config.json"), []byte(`{"steps":1}`))
	if err := os.Symlink(f.outside, filepath.Join(r, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(f.outside, "secret.png"), filepath.Join(r, "finished", "link.png")); err != nil {
		t.Fatal(err)
	}
	// Old runs are not live: date every file back, except the live run's.
	old := time.Now().Add(-time.Hour)
	filepath.Walk(r, func(p string, info os.FileInfo, err error) error {
		if err == nil && !strings.Contains(p, string(filepath.Separator)+"live") && info.Mode()&os.ModeSymlink == 0 {
			os.Chtimes(p, old, old)
		}
		return nil
	})
	return f
}

// trainRun trains a tiny real run into dir (8 Gaussians, minibatch
// Wasserstein, 30 steps, samples every 10).
func trainRun(t testing.TB, dir string) {
	t.Helper()
	cfg, err := train.DefaultConfig("8gaussians", "minibatch-w")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Steps, cfg.SampleEvery, cfg.EvalEvery, cfg.Out = 30, 10, 10, dir
	r, err := train.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.Progress = io.Discard
	if err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}
