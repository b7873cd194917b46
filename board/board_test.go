package board

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func TestParseMetrics(t *testing.T) {
	m, err := ParseMetrics([]byte("step,loss,eval\r\n1,0.5,\r\n2,0.25,3\n3,0.1"))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(m.Columns) != "[step loss eval]" || len(m.Rows) != 2 {
		t.Fatalf("%v %v", m.Columns, m.Rows)
	}
	if m.Rows[1][2] != 3 || !math.IsNaN(m.Rows[0][2]) || m.Rows[1][1] != 0.25 {
		t.Errorf("rows %v", m.Rows)
	}
	if m, err := ParseMetrics([]byte("step,loss\n")); err != nil || len(m.Rows) != 0 {
		t.Errorf("header only: %v %v", m, err)
	}
	for _, c := range []struct{ in, want string }{
		{"", "empty"},
		{"step,lo", "no complete header line"},
		{"epoch,loss\n1,2\n", `header starts with "epoch"`},
		{"step,,x\n", "column 2 has no name"},
		{"step,loss\n1,2,3\n", "line 2 has 3 fields, the header 2"},
		{"step,loss\n1,0.5\n2,abc\n", `line 3, column loss: "abc" is not a number`},
		{"step,loss\n2,0.5\n2,0.4\n", "line 3: step 2 does not follow step 2"},
		{"step,loss\n,0.5\n", "line 2 has no step"},
	} {
		_, err := ParseMetrics([]byte(c.in))
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
}

func newBoard(t *testing.T, root string) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return resp.StatusCode
}

func TestRunsListing(t *testing.T) {
	f := newFixture(t)
	_, ts := newBoard(t, f.root)
	var l listing
	if code := getJSON(t, ts.URL+"/api/runs", &l); code != 200 {
		t.Fatalf("status %d", code)
	}
	status := map[string]Run{}
	for _, r := range l.Runs {
		status[r.ID] = r
	}
	want := map[string]string{
		"finished": StatusFinished, "live": StatusLive, "corrupt": StatusBroken, "nopng": StatusBroken,
		"badpng": StatusBroken, "compare-8gaussians/minibatch-w-seed1": StatusFinished,
	}
	if len(status) != len(want) {
		t.Errorf("runs %v, want %v (the symlink outside must not be listed)", keys(status), keys(want))
	}
	for id, st := range want {
		if status[id].Status != st {
			t.Errorf("%s: %s %v, want %s", id, status[id].Status, status[id].Problems, st)
		}
	}
	problem := func(id, want string) {
		if p := strings.Join(status[id].Problems, "; "); !strings.Contains(p, want) {
			t.Errorf("%s: problems %q, want %q", id, p, want)
		}
	}
	problem("corrupt", `metrics.csv: corrupt: line 3, column loss: "abc" is not a number`)
	problem("nopng", "samples.png is missing")
	problem("badpng", "samples.png: corrupt: PNG is truncated")
	// The live run's row being written is not counted yet.
	if r := status["live"]; r.Rows != 6 || r.LastStep != 6 || r.Data != "mnist" || r.Steps != 100 {
		t.Errorf("live run: %+v", r)
	}
	if r := status["finished"]; r.Latest == nil || len(r.Samples) != 2 || r.Samples[1].Step != 20 || len(r.Config) == 0 {
		t.Errorf("finished run: %+v", r)
	}
	if len(l.Comparisons) != 1 || l.Comparisons[0].ID != "compare-8gaussians" || len(l.Comparisons[0].Rows) != 2 ||
		l.Comparisons[0].Rows[1][0] != "sinkhorn" || len(l.Comparisons[0].Figures) != 1 {
		t.Errorf("comparisons %+v", l.Comparisons)
	}
}

func keys[V any](m map[string]V) []string {
	var k []string
	for id := range m {
		k = append(k, id)
	}
	sort.Strings(k)
	return k
}

func TestComparisonFromJSONWhenCSVIsBad(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.root, "compare-8gaussians", "results.csv"), []byte("loss,\"seed\n"))
	_, ts := newBoard(t, f.root)
	var l listing
	getJSON(t, ts.URL+"/api/runs", &l)
	c := l.Comparisons[0]
	if len(c.Problems) != 1 || !strings.Contains(c.Problems[0], "results.csv: corrupt") || len(c.Rows) != 1 || c.Rows[0][2] != "0.0312" {
		t.Errorf("comparison %+v", c)
	}
}

// TestMetricsOfARealRun reads the metrics.csv that train writes.
func TestMetricsOfARealRun(t *testing.T) {
	root := t.TempDir()
	trainRun(t, filepath.Join(root, "toy"))
	_, ts := newBoard(t, root)
	var got struct {
		Columns []string     `json:"columns"`
		Rows    [][]*float64 `json:"rows"`
	}
	if code := getJSON(t, ts.URL+"/api/metrics?run=toy", &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	want := readCSV(t, filepath.Join(root, "toy", "metrics.csv"))
	if fmt.Sprint(got.Columns) != fmt.Sprint(want[0]) || len(got.Rows) != 30 || len(want) != 31 {
		t.Fatalf("columns %v rows %d, want %v and %d", got.Columns, len(got.Rows), want[0], len(want)-1)
	}
	for i, row := range want[1:] {
		for j, cell := range row {
			g := got.Rows[i][j]
			if cell == "" {
				if g != nil {
					t.Errorf("row %d col %d: %v for an empty cell", i, j, *g)
				}
				continue
			}
			v, _ := strconv.ParseFloat(cell, 64)
			if g == nil || *g != v {
				t.Errorf("row %d col %d: %v, want %v", i, j, g, v)
			}
		}
	}
	var l listing
	getJSON(t, ts.URL+"/api/runs", &l)
	if r := l.Runs[0]; r.Status != StatusFinished || r.Loss != "minibatch-w" || r.Latest == nil || len(r.Samples) != 3 {
		t.Errorf("real run %+v", r)
	}
}

func readCSV(t testing.TB, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = b[:bytes.LastIndexByte(b, '\n')+1] // complete lines only
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestPathsNeverEscape(t *testing.T) {
	f := newFixture(t)
	_, ts := newBoard(t, f.root)
	abs := filepath.Join(f.outside, "secret.png")
	for _, p := range []string{
		"/files/../outside/secret.png",
		"/files/%2e%2e/outside/secret.png",
		"/files/..%2foutside%2fsecret.png",
		"/files/finished/../../outside/secret.png",
		"/files/" + abs,
		"/files//" + abs,
		"/files/escape/secret.png", // a folder link pointing outside
		"/files/finished/link.png", // a file link pointing outside
		"/files/finished/..\\..\\outside/secret.png",
		"/api/metrics?run=../outside",
		"/api/metrics?run=%2e%2e%2foutside",
		"/api/metrics?run=" + filepath.Dir(abs),
		"/api/metrics?run=escape",
		"/files/finished/checkpoint.otgen", // only PNG, CSV and JSON are served
	} {
		req, _ := http.NewRequest("GET", ts.URL+p, nil)
		req.URL.Opaque = strings.SplitN(p, "?", 2)[0] // send the path as written
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 || bytes.Contains(body, f.secret) || bytes.Contains(body, []byte(outsideValue)) {
			t.Errorf("%s: status %d, body %q", p, resp.StatusCode, body)
		}
	}
	// Inside, the same kinds of path work.
	for _, p := range []string{"/files/finished/samples.png", "/files/compare-8gaussians/results.csv", "/api/metrics?run=compare-8gaussians/minibatch-w-seed1"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d", p, resp.StatusCode)
		}
	}
}

// tree lists every file under root with its size, time and mode.
func tree(t *testing.T, root string) string {
	var b strings.Builder
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		info, _ := d.Info()
		fmt.Fprintf(&b, "%s %d %d %v\n", p, info.Size(), info.ModTime().UnixNano(), info.Mode())
		return nil
	})
	return b.String()
}

func TestReadOnly(t *testing.T) {
	f := newFixture(t)
	before := tree(t, f.root)
	_, ts := newBoard(t, f.root)
	for _, p := range []string{"/", "/api/runs", "/api/metrics?run=finished", "/files/finished/samples.png", "/static/board.js"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	if after := tree(t, f.root); after != before {
		t.Errorf("the board changed the runs folder:\nbefore\n%s\nafter\n%s", before, after)
	}
}

func TestPageLoadsOffline(t *testing.T) {
	f := newFixture(t)
	_, ts := newBoard(t, f.root)
	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	for _, want := range []string{`<script src="/static/board.js">`, `data-run="compare-8gaussians/minibatch-w-seed1"`, "samples.png is missing", "sinkhorn"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Nothing is loaded from another host.
	for _, bad := range []string{"http://", "https://", "//cdn"} {
		for _, name := range []string{"assets/index.html", "assets/board.js", "assets/board.css"} {
			a, _ := assets.ReadFile(name)
			if strings.Contains(strings.ReplaceAll(string(a), "http://www.w3.org/2000/svg", ""), bad) {
				t.Errorf("%s refers to %q", name, bad)
			}
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(filepath.Join(t.TempDir(), "none"), nil); err == nil || !strings.Contains(err.Error(), "board: runs folder") {
		t.Errorf("missing folder: %v", err)
	}
}

// TestComparisonFromJSONHasCompareColumns: a comparison shown from
// results.json has the columns, in the order, that compare writes into
// results.csv (it used to sort the metrics by name).
func TestComparisonFromJSONHasCompareColumns(t *testing.T) {
	f := newFixture(t)
	c := filepath.Join(f.root, "compare-8gaussians")
	if err := os.Remove(filepath.Join(c, "results.csv")); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(c, "results.json"), []byte(`[{"loss":"sinkhorn","seed":2,"steps":20,"wall_s":1.5,"step_ms":75,"metrics":{"eval_mmd":0.1,"eval_w2":0.0312,"eval_modes_peer":8,"eval_modes":7},"dir":"x"}]`))
	_, ts := newBoard(t, f.root)
	var l listing
	getJSON(t, ts.URL+"/api/runs", &l)
	got := l.Comparisons[0]
	want := "[loss seed eval_w2 eval_mmd eval_modes eval_modes_peer steps wall_s step_ms]"
	if fmt.Sprint(got.Columns) != want || len(got.Rows) != 1 || fmt.Sprint(got.Rows[0]) != "[sinkhorn 2 0.0312 0.1 7 8 20 1.50 75.00]" {
		t.Errorf("columns %v rows %v, want %s", got.Columns, got.Rows, want)
	}
}
