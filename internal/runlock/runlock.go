// Package runlock gives a process exclusive use of a run folder for as long
// as it trains there, so that two processes never write the same run.
//
// The lock is an advisory flock(2) on the file LockName inside the folder,
// which holds the owner's process ID for the error message. The kernel
// drops the lock when its owner exits, however it exits (Ctrl-C, SIGKILL, a
// crash), so a lock left behind by a dead process is never stale: the next
// Acquire takes it over.
package runlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockName is the lock file's name inside a run folder.
const LockName = ".otgen.lock"

// ErrInUse is wrapped by Acquire's error when another process holds the
// folder.
var ErrInUse = errors.New("in use")

// Lock is a held lock on a run folder.
type Lock struct {
	f *os.File
}

// Acquire creates dir if needed and locks it, or returns an error wrapping
// ErrInUse that names the folder and the process that holds it.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("run folder %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run folder %s: lock: %w", dir, err)
	}
	if err := lock(f); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if errors.Is(err, errWouldBlock) {
			pid := strings.TrimSpace(string(b[:n]))
			if _, perr := strconv.Atoi(pid); perr != nil {
				pid = "unknown"
			}
			return nil, fmt.Errorf("run folder %s is %w by PID %s (another train or compare); wait for it or use another --out", dir, ErrInUse, pid)
		}
		return nil, fmt.Errorf("run folder %s: lock: %w", dir, err)
	}
	// Record the owner; a failure here only weakens the message.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Release gives the folder up. It is safe to call on a nil Lock and more
// than once.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
