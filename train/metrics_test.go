package train

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runToy trains cfg and closes the run.
func runToy(t *testing.T, cfg Config) {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestResumeRewritesAnOlderMetricsTable: a run whose metrics.csv was
// written by an otgen that lacked one of today's columns (here eval_w2,
// removed by hand) resumes — in place and into a new folder — with today's
// header, its old values under their names and the new column empty; before,
// every --out was refused ("has columns ..., use another --out"), so such a
// run could never be resumed.
func TestResumeRewritesAnOlderMetricsTable(t *testing.T) {
	cfg := toyConfig(t, "vae", 20)
	cfg.EvalEvery = 10
	runToy(t, cfg)
	path := filepath.Join(cfg.Out, MetricsName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	header := strings.Split(lines[0], ",")
	drop := -1
	for i, c := range header {
		if c == "eval_w2" {
			drop = i
		}
	}
	if drop < 0 {
		t.Fatalf("no eval_w2 column in %q", lines[0])
	}
	var older []string
	for _, l := range lines {
		f := strings.Split(l, ",")
		older = append(older, strings.Join(append(f[:drop:drop], f[drop+1:]...), ","))
	}
	olderTable := strings.Join(older, "\n") + "\n"
	if err := os.WriteFile(path, []byte(olderTable), 0o644); err != nil {
		t.Fatal(err)
	}

	// Into a new folder: the table is carried along, rewritten.
	moved := filepath.Join(t.TempDir(), "moved")
	r, err := Resume(filepath.Join(cfg.Out, CheckpointName), func(c *Config) { c.Out, c.Steps = moved, 30 })
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Train(context.Background()); err != nil {
		r.Close()
		t.Fatal(err)
	}
	r.Close()
	got, err := os.ReadFile(filepath.Join(moved, MetricsName))
	if err != nil {
		t.Fatal(err)
	}
	gl := strings.Split(strings.TrimRight(string(got), "\n"), "\n")
	if gl[0] != lines[0] {
		t.Fatalf("header %q, want today's %q", gl[0], lines[0])
	}
	if len(gl) != 31 {
		t.Fatalf("%d rows, want 30 (20 carried along, 10 new)", len(gl)-1)
	}
	for i := 1; i <= 20; i++ {
		want := strings.Split(lines[i], ",")
		want[drop] = ""
		if gl[i] != strings.Join(want, ",") {
			t.Fatalf("row %d = %q, want %q (old values under their names, eval_w2 empty)", i, gl[i], strings.Join(want, ","))
		}
	}
	// The source folder's table is untouched.
	if b, _ := os.ReadFile(path); string(b) != olderTable {
		t.Errorf("the resumed run changed the source folder's metrics.csv")
	}

	// In place, the same.
	r, err = Resume(filepath.Join(cfg.Out, CheckpointName), func(c *Config) { c.Steps = 30 })
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Train(context.Background()); err != nil {
		r.Close()
		t.Fatal(err)
	}
	r.Close()
	if b, _ := os.ReadFile(path); !strings.HasPrefix(string(b), lines[0]+"\n") {
		t.Errorf("in place: header not rewritten: %q", strings.SplitN(string(b), "\n", 2)[0])
	}
}

// TestResumeRefusesATableWithAnUnknownColumn: a column this run does not
// write would be lost by a rewrite, so the resume is refused with a message
// naming it, and the table is left as it was.
func TestResumeRefusesATableWithAnUnknownColumn(t *testing.T) {
	cfg := toyConfig(t, "vae", 10)
	runToy(t, cfg)
	path := filepath.Join(cfg.Out, MetricsName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lines[0] += ",mystery"
	for i := 1; i < len(lines); i++ {
		lines[i] += ",7"
	}
	table := strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Resume(filepath.Join(cfg.Out, CheckpointName), func(c *Config) { c.Steps = 20 })
	if err == nil {
		err = r.Train(context.Background())
		r.Close()
	}
	if err == nil || !strings.Contains(err.Error(), `"mystery"`) {
		t.Fatalf("resume with an unknown column: %v, want an error naming it", err)
	}
	if b, _ := os.ReadFile(path); string(b) != table {
		t.Errorf("the refused resume changed metrics.csv")
	}
}
