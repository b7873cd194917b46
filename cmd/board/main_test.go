package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otgen/internal/cli"
)

func TestServesAndStops(t *testing.T) {
	runs := t.TempDir()
	os.MkdirAll(filepath.Join(runs, "a"), 0o755)
	os.WriteFile(filepath.Join(runs, "a", "metrics.csv"), []byte("step,loss\n1,0.5\n"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--runs", runs, "--addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	i := strings.Index(line, "http://")
	if i < 0 || !strings.HasPrefix(line[i:], "http://127.0.0.1:") {
		t.Fatalf("first line %q", line)
	}
	url := strings.Fields(line[i:])[0]
	resp, err := http.Get(url + "api/runs")
	if err != nil {
		t.Fatal(err)
	}
	var l struct {
		Runs []struct{ ID string } `json:"runs"`
	}
	json.NewDecoder(resp.Body).Decode(&l)
	resp.Body.Close()
	if len(l.Runs) != 1 || l.Runs[0].ID != "a" {
		t.Errorf("runs %+v", l.Runs)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("stop: %v", err)
	}
}

func TestBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--runs", filepath.Join(t.TempDir(), "none")}, "does not exist (train a model first"},
		{[]string{"--runs", t.TempDir(), "--addr", "127.0.0.1:-5"}, "board: --addr:"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		var errs strings.Builder
		status := cli.Exec("board", c.args, run, io.Discard, &errs)
		if status != 1 || !strings.Contains(errs.String(), c.want) || strings.Count(errs.String(), "\n") != 1 {
			t.Errorf("%v: status %d, %q", c.args, status, errs.String())
		}
	}
}
