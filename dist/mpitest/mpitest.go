// Package mpitest builds otgen packages with the mpi build tag and runs
// them under mpirun, for the tests that check the real MPI transport (of
// dist, train and the commands) from an ordinary `go test`.
//
// A test calls Mpirun first: without OpenMPI's launcher it skips with a
// message that names mpirun ("apt-get install -y libopenmpi-dev
// openmpi-bin"); CI installs OpenMPI and fails if such a skip happens.
// Binaries are built with the mpi tag, plus openblas when the test binary
// itself was built with it.
package mpitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SkipMessage starts the message of a test skipped for want of mpirun.
const SkipMessage = "mpirun not found"

// Mpirun returns the path of OpenMPI's mpirun, or skips t when it is not
// installed, with a message that starts with SkipMessage.
func Mpirun(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("mpirun")
	if err != nil {
		t.Skipf("%s: the MPI tests need OpenMPI (apt-get install -y libopenmpi-dev openmpi-bin)", SkipMessage)
	}
	return p
}

// Tags are the build tags of the binaries Build makes.
func Tags() string { return "mpi" + extraTags }

var built struct {
	mu   sync.Mutex
	dir  string
	bins map[string]string
}

// Build compiles the package pkg (an import path such as
// "otgen/cmd/train") with Tags into a folder shared by the tests of this
// process, once per package, and returns the binary's path. With test set
// it compiles pkg's test binary (go test -c) instead.
func Build(t testing.TB, pkg string, test bool) string {
	t.Helper()
	built.mu.Lock()
	defer built.mu.Unlock()
	key := fmt.Sprintf("%s test=%v", pkg, test)
	if p, ok := built.bins[key]; ok {
		return p
	}
	if built.dir == "" {
		d, err := os.MkdirTemp("", "otgen-mpitest-")
		if err != nil {
			t.Fatal(err)
		}
		built.dir, built.bins = d, map[string]string{}
	}
	out := filepath.Join(built.dir, fmt.Sprintf("bin%d", len(built.bins)))
	args := []string{"build", "-tags", Tags(), "-o", out, pkg}
	if test {
		args = []string{"test", "-c", "-tags", Tags(), "-o", out, pkg}
	}
	cmd := exec.Command(goTool(), args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	built.bins[key] = out
	return out
}

// goTool returns the go command that runs this test.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// Job describes one run of a binary under mpirun.
type Job struct {
	// Ranks is the number of processes (mpirun -np).
	Ranks int
	// Env is added to every rank's environment ("NAME=value").
	Env []string
	// Dir is the working folder ("" for the test's).
	Dir string
	// Limit ends a job that has not finished by then (a hang): the test
	// fails. 0 means 5 minutes.
	Limit time.Duration
	// Started, when not nil, is called with mpirun's process ID once it
	// has started.
	Started func(pid int)
}

// Args returns mpirun's command line for np ranks of bin args: as root
// (--allow-run-as-root), more ranks than cores allowed (--oversubscribe),
// no binding to cores (several jobs share the test machine).
func Args(np int, bin string, args ...string) []string {
	return append([]string{"--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", strconv.Itoa(np), bin}, args...)
}

// Run runs bin args under mpirun as j says and returns its combined
// output and its exit error (an *exec.ExitError when the job failed). It
// fails t if the job is still running after j.Limit.
func Run(t testing.TB, j Job, bin string, args ...string) (string, error) {
	t.Helper()
	return run(t, j, Args(j.Ranks, bin, args...))
}

// RunMPMD runs one rank of each command line of apps (a binary and its
// arguments), as mpirun's "-np 1 app0 : -np 1 app1 ..." does: ranks that
// differ in their arguments. j.Ranks is ignored.
func RunMPMD(t testing.TB, j Job, apps ...[]string) (string, error) {
	t.Helper()
	args := []string{"--allow-run-as-root", "--oversubscribe", "--bind-to", "none"}
	for i, a := range apps {
		if i > 0 {
			args = append(args, ":")
		}
		args = append(append(args, "-np", "1"), a...)
	}
	j.Ranks = len(apps)
	return run(t, j, args)
}

func run(t testing.TB, j Job, args []string) (string, error) {
	t.Helper()
	mpirun := Mpirun(t)
	limit := j.Limit
	if limit == 0 {
		limit = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, mpirun, args...)
	// mpirun ends its ranks when it gets SIGTERM; SIGKILL would orphan them.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	cmd.Env = append(os.Environ(), j.Env...)
	cmd.Dir = j.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("mpirun: %v", err)
	}
	if j.Started != nil {
		j.Started(cmd.Process.Pid)
	}
	err := cmd.Wait()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("mpirun %s did not end within %v (a hang):\n%s", strings.Join(args, " "), limit, out.String())
	}
	return out.String(), err
}

// RankPIDs returns the process IDs of the ranks that mpirun (pid) started
// on this machine, by rank (from OMPI_COMM_WORLD_RANK in each child's
// environment).
func RankPIDs(pid int) (map[int]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	out := map[int]int{}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name (which may hold spaces): state ppid ...
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 2 || f[1] != strconv.Itoa(pid) {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(string(env), "\x00") {
			if v, ok := strings.CutPrefix(kv, "OMPI_COMM_WORLD_RANK="); ok {
				if r, err := strconv.Atoi(v); err == nil {
					out[r] = child
				}
			}
		}
	}
	return out, nil
}
