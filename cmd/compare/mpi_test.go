package main

import (
	"encoding/csv"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"otgen/dist/mpitest"
)

// TestMPICompare: a compare on 2 ranks (cmd/compare built with the mpi
// tag, under mpirun) spreads its runs over the ranks and writes the table,
// results and figures of the same compare run as one process: the same
// metrics, to the last digit printed (each run is trained by one process
// from the same seed), and the same files.
func TestMPICompare(t *testing.T) {
	mpitest.Mpirun(t)
	bin := mpitest.Build(t, "otgen/cmd/compare", false)
	args := []string{"--losses", "mbw,wgan-gp,vae", "--steps", "6", "--batch", "32", "--hidden", "16", "--eval-every", "3"}
	one, two := filepath.Join(t.TempDir(), "cmp"), filepath.Join(t.TempDir(), "cmp")
	b, err := exec.Command(bin, append(args, "--out", one)...).CombinedOutput()
	if err != nil {
		t.Fatalf("compare: %v\n%s", err, b)
	}
	tableOne := string(b)
	log, err := mpitest.Run(t, mpitest.Job{Ranks: 2}, bin, append(args, "--out", two)...)
	if err != nil {
		t.Fatalf("mpirun -np 2 compare: %v\n%s", err, log)
	}
	if !strings.Contains(log, "3 runs spread over 2 ranks") || !strings.Contains(log, "rank 1: == wgan-gp seed 1") {
		t.Errorf("the 2-rank job does not show rank 1 training the second run:\n%s", log)
	}
	if strings.Count(log, "| minibatch-w |") != 1 {
		t.Errorf("want the table printed once, by rank 0:\n%s", log)
	}
	// The table's rows, without the timing columns (wall s, ms/step).
	rows := func(out string) []string {
		var r []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| loss") {
				c := strings.Split(l, " | ")
				r = append(r, strings.Join(c[:len(c)-2], " | "))
			}
		}
		return r
	}
	if a, b := rows(tableOne), rows(log); len(a) != 3 || !slices.Equal(a, b) {
		t.Fatalf("the tables differ:\none process: %q\n2 ranks:     %q", a, b)
	}
	csvRows := func(dir string) [][]string {
		f, err := os.Open(filepath.Join(dir, "results.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	a, c := csvRows(one), csvRows(two)
	if len(a) != 4 || len(c) != len(a) {
		t.Fatalf("results.csv has %d rows on one process, %d on 2 ranks", len(a), len(c))
	}
	for i := range a {
		n := len(a[i]) - 2 // wall_s and step_ms differ
		if !slices.Equal(a[i][:n], c[i][:n]) {
			t.Fatalf("results.csv row %d differs:\n%v\n%v", i, a[i], c[i])
		}
	}
	list := func(dir string) []string {
		var names []string
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err == nil && p != dir {
				rel, _ := filepath.Rel(dir, p)
				names = append(names, rel)
			}
			return nil
		})
		return names
	}
	if a, b := list(one), list(two); !slices.Equal(a, b) {
		t.Fatalf("one process wrote %v\n2 ranks wrote %v", a, b)
	}
}

// TestMPICompareNeedsSharedFolder: a rank that does not see rank 0's
// output folder (here: given another --out, as a node without the shared
// file system would be) fails the job before anything is trained, with
// its message.
func TestMPICompareNeedsSharedFolder(t *testing.T) {
	mpitest.Mpirun(t)
	bin := mpitest.Build(t, "otgen/cmd/compare", false)
	args := []string{bin, "--losses", "vae", "--steps", "2", "--batch", "16", "--hidden", "8"}
	a, b := filepath.Join(t.TempDir(), "cmp"), filepath.Join(t.TempDir(), "cmp")
	log, err := mpitest.RunMPMD(t, mpitest.Job{}, append(args, "--out", a), append(args, "--out", b))
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the job ended with %v, want a non-zero exit:\n%s", err, log)
	}
	if !strings.Contains(log, "rank 1: --out "+b+": this rank") || !strings.Contains(log, "shared file system") {
		t.Fatalf("want rank 1's message about the shared folder:\n%s", log)
	}
	if strings.Contains(log, "== vae") {
		t.Fatalf("a run was trained:\n%s", log)
	}
	if names, _ := os.ReadDir(a); len(names) != 0 {
		t.Fatalf("rank 0 left %v in its folder", names)
	}
}
