//go:build !unix

package runlock

import (
	"errors"
	"os"
)

// Without flock(2) the lock is a no-op: otgen's run folders are only
// guarded on Unix systems.
var errWouldBlock = errors.New("would block")

func lock(*os.File) error   { return nil }
func unlock(*os.File) error { return nil }
