package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"otgen/losses"
)

// TestREADMELossesTable: the README's table of losses has a row for every
// registered loss.
func TestREADMELossesTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)`")
	seen := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		seen[m[1]] = true
	}
	for _, name := range losses.Names() {
		if !seen[name] {
			t.Errorf("README's losses table has no row for %s", name)
		}
	}
}

// TestREADMEFuzzCommands: every `go test -fuzz=NAME ./pkg/` of the README
// matches exactly one fuzz target (the fuzzer refuses a pattern matching
// two).
func TestREADMEFuzzCommands(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmds := regexp.MustCompile(`go test -fuzz='?([A-Za-z0-9$^]+)'? \./([a-z/]+)/`).FindAllStringSubmatch(string(b), -1)
	if len(cmds) == 0 {
		t.Fatal("no fuzz command in the README")
	}
	target := regexp.MustCompile(`(?m)^func (Fuzz\w*)\(`)
	for _, c := range cmds {
		pat, err := regexp.Compile(c[1])
		if err != nil {
			t.Fatalf("%s: %v", c[0], err)
		}
		files, _ := filepath.Glob(filepath.Join("../..", c[2], "*_test.go"))
		n := 0
		for _, f := range files {
			src, _ := os.ReadFile(f)
			for _, m := range target.FindAllStringSubmatch(string(src), -1) {
				if pat.MatchString(m[1]) {
					n++
				}
			}
		}
		if n != 1 {
			t.Errorf("%q matches %d fuzz targets, want 1", c[0], n)
		}
	}
}
