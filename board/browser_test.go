package board

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"otgen/internal/atomicfile"
)

// chromiumPath returns the browser the test drives, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not installed (apt-get install chromium): the board's browser test needs it")
	return ""
}

// browser starts headless chromium for the test and returns a context
// whose actions run in one tab.
func browser(t *testing.T) context.Context {
	exe := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // chromium refuses to run as root with its sandbox
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1600),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// Start the browser with a context that has no deadline (a deadline
	// on the first call would end the browser).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// eval runs a JavaScript expression and decodes its value.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript predicate until it holds (60 s at most: the
// page refreshes every 200 ms; the bound only keeps a broken page from
// hanging the test).
func waitFor(t *testing.T, ctx context.Context, what, predicate string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(c, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("waiting for %s (%s): %v\npage:\n%s", what, predicate, err, page)
	}
}

// curve is a polyline of the page: its data and its drawn points.
type curve struct {
	Steps, Values, Points string
	Box, XMin, XMax       string
	YMin, YMax            string
}

func curveOf(t *testing.T, ctx context.Context, run, metric string) curve {
	t.Helper()
	return eval[curve](t, ctx, fmt.Sprintf(`(() => {
		const l = [...document.querySelectorAll('polyline.series')].find(p => p.dataset.run === %q && p.dataset.metric === %q);
		if (!l) return null;
		const s = l.ownerSVGElement.dataset;
		return {Steps: l.dataset.steps, Values: l.dataset.values, Points: l.getAttribute('points'),
			Box: s.box, XMin: s.xmin, XMax: s.xmax, YMin: s.ymin, YMax: s.ymax};
	})()`, run, metric))
}

func floats(t *testing.T, s string) []float64 {
	t.Helper()
	var out []float64
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatalf("%q: %v", f, err)
		}
		out = append(out, v)
	}
	return out
}

// checkCurve compares a drawn curve with the column of metrics.csv: the
// same steps and values, and every point drawn where the chart's axes put
// it (to the 0.01 px the page rounds to).
func checkCurve(t *testing.T, ctx context.Context, runDir, run, metric string) int {
	t.Helper()
	recs := readCSV(t, filepath.Join(runDir, "metrics.csv"))
	j := -1
	for i, c := range recs[0] {
		if c == metric {
			j = i
		}
	}
	if j < 0 {
		t.Fatalf("%s has no column %s", runDir, metric)
	}
	var wantSteps, wantValues []float64
	for _, row := range recs[1:] {
		if row[j] == "" {
			continue
		}
		s, _ := strconv.ParseFloat(row[0], 64)
		v, _ := strconv.ParseFloat(row[j], 64)
		wantSteps, wantValues = append(wantSteps, s), append(wantValues, v)
	}
	c := curveOf(t, ctx, run, metric)
	steps, values := floats(t, c.Steps), floats(t, c.Values)
	if fmt.Sprint(steps) != fmt.Sprint(wantSteps) || fmt.Sprint(values) != fmt.Sprint(wantValues) {
		t.Fatalf("%s %s: the page has steps %v values %v, metrics.csv %v %v", run, metric, steps, values, wantSteps, wantValues)
	}
	box := floats(t, c.Box)
	xmin, xmax := floats(t, c.XMin)[0], floats(t, c.XMax)[0]
	ymin, ymax := floats(t, c.YMin)[0], floats(t, c.YMax)[0]
	pts := strings.Fields(c.Points)
	if len(pts) != len(steps) {
		t.Fatalf("%s %s: %d points drawn for %d values", run, metric, len(pts), len(steps))
	}
	for i, p := range pts {
		xy := floats(t, strings.ReplaceAll(p, ",", " "))
		wx := box[0] + (steps[i]-xmin)/(xmax-xmin)*box[2]
		wy := box[1] + box[3] - (values[i]-ymin)/(ymax-ymin)*box[3]
		if math.Abs(xy[0]-wx) > 0.006 || math.Abs(xy[1]-wy) > 0.006 {
			t.Fatalf("%s %s: point %d at (%v, %v), want (%.3f, %.3f)", run, metric, i, xy[0], xy[1], wx, wy)
		}
	}
	return len(steps)
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	b, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", p, len(b))
}

// TestBrowser drives headless chromium on the board of a fixture runs
// folder: runs in every state, a comparison, and a real 30-step training
// run.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	f := newFixture(t)
	realDir := filepath.Join(f.root, "real")
	trainRun(t, realDir)
	s, err := New(f.root, &Options{Poll: 200 * time.Millisecond, Live: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s)
	defer ts.Close()

	c, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(c, chromedp.Navigate(ts.URL+"/")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the real run's loss curve", `document.querySelector('polyline.series[data-run="real"][data-metric="loss"]') !== null`)

	// The page lists every run with its state, the broken ones with
	// what is wrong.
	type row struct{ ID, Status, Problems string }
	rows := eval[[]row](t, ctx, `[...document.querySelectorAll('#runs tbody tr')].map(tr => ({ID: tr.dataset.run, Status: tr.querySelector('.status').textContent, Problems: tr.querySelector('.problems').textContent}))`)
	got := map[string]row{}
	for _, r := range rows {
		got[r.ID] = r
	}
	want := map[string]string{"real": "finished", "finished": "finished", "live": "live", "corrupt": "broken", "nopng": "broken", "badpng": "broken", "compare-8gaussians/minibatch-w-seed1": "finished"}
	if len(got) != len(want) {
		t.Errorf("runs listed: %v", rows)
	}
	for id, st := range want {
		if got[id].Status != st {
			t.Errorf("%s shown as %q (%s), want %s", id, got[id].Status, got[id].Problems, st)
		}
	}
	if !strings.Contains(got["corrupt"].Problems, `"abc" is not a number`) || !strings.Contains(got["nopng"].Problems, "samples.png is missing") {
		t.Errorf("problems shown: %q, %q", got["corrupt"].Problems, got["nopng"].Problems)
	}

	// Curves: the real run's every metric, overlaid with the others.
	for _, m := range []string{"loss", "eval_mmd", "eval_w2", "eval_modes", "eval_hq"} {
		if n := checkCurve(t, ctx, realDir, "real", m); n == 0 {
			t.Errorf("real %s: no point", m)
		}
	}
	checkCurve(t, ctx, filepath.Join(f.root, "finished"), "finished", "loss")
	if n := eval[int](t, ctx, `document.querySelectorAll('polyline.series[data-metric="loss"]').length`); n < 5 {
		t.Errorf("%d runs overlaid on the loss chart", n)
	}
	// A broken metrics table draws nothing, the others draw.
	if n := eval[int](t, ctx, `document.querySelectorAll('polyline.series[data-run="corrupt"]').length`); n != 0 {
		t.Errorf("the corrupt run has %d curves", n)
	}

	// The real run's latest sample grid loads, at its size.
	b, err := os.ReadFile(filepath.Join(realDir, "samples.png"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the real run's samples.png", fmt.Sprintf(`(() => { const i = document.querySelector('img.latest[data-run="real"]'); return i && i.complete && i.naturalWidth === %d && i.naturalHeight === %d; })()`, cfg.Width, cfg.Height))
	if n := eval[int](t, ctx, `document.querySelectorAll('img.step[data-run="real"]').length`); n != 3 {
		t.Errorf("%d step figures of the real run shown, want 3", n)
	}
	// The comparison's table.
	if cell := eval[string](t, ctx, `document.querySelector('[data-comparison="compare-8gaussians"] tbody tr:nth-child(2) td').textContent`); cell != "sinkhorn" {
		t.Errorf("comparison table: %q", cell)
	}
	screenshot(t, ctx, "board.png")

	// Live: the row being written stays out while it is incomplete...
	live := filepath.Join(f.root, "live", "metrics.csv")
	if n := checkCurve(t, ctx, filepath.Join(f.root, "live"), "live", "loss"); n != 6 {
		t.Fatalf("live run: %d points before, want 6", n)
	}
	appendTo(t, live, "5") // the partial row is now "7,0.15"
	polls := eval[int](t, ctx, `Number(document.body.dataset.polls)`)
	waitFor(t, ctx, "two more refreshes", fmt.Sprintf(`Number(document.body.dataset.polls) >= %d`, polls+2))
	if c := curveOf(t, ctx, "live", "loss"); len(strings.Fields(c.Steps)) != 6 {
		t.Errorf("a partial row was drawn: steps %s", c.Steps)
	}
	// ...and the rows appear once written, without reloading the page.
	appendTo(t, live, ",\n8,0.09,0.25\n")
	waitFor(t, ctx, "the live run's new rows", `(() => { const l = document.querySelector('polyline.series[data-run="live"][data-metric="loss"]'); return l && l.dataset.steps.split(' ').length === 8; })()`)
	checkCurve(t, ctx, filepath.Join(f.root, "live"), "live", "loss")
	checkCurve(t, ctx, filepath.Join(f.root, "live"), "live", "eval_w2")
	waitFor(t, ctx, "the live run's row count", `document.querySelector('tr[data-run="live"] .rows').textContent === '8'`)
	// A sample grid replaced by a rename is shown anew.
	if err := atomicfile.WriteBytes(filepath.Join(f.root, "live", "samples.png"), pngBytes(t, 96, 40)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the live run's new samples.png", `(() => { const i = document.querySelector('img.latest[data-run="live"]'); return i && i.complete && i.naturalWidth === 96; })()`)

	// Unticking a run takes its curves off the charts.
	eval[chromedp.Void](t, ctx, `document.querySelector('input[type=checkbox][data-run="finished"]').click()`)
	waitFor(t, ctx, "the unticked run's curves to go", `document.querySelectorAll('polyline.series[data-run="finished"]').length === 0`)
	screenshot(t, ctx, "board-live.png")
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
