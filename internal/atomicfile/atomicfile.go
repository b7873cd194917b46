// Package atomicfile writes files that are never seen half written: the
// bytes go to a temporary file in the same folder, which is synced, closed
// and renamed over the target.
package atomicfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Write writes the bytes produced by write to path through a temporary
// file in the same directory, which is synced, closed, given mode 0644 and
// renamed over path. The temporary file never outlives a failure, and a
// previous file at path is left untouched by one.
func Write(path string, write func(io.Writer) error) (err error) {
	if path == "" {
		return fmt.Errorf("write: empty file name")
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, tempPrefix+base+tempInfix+"*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close() // may already be closed; the error is the first one
			_ = os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriter(f)
	if err = write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s: %w", path, err)
	}
	// Make the rename durable. Not every platform can sync a directory,
	// and the file itself is already complete, so a failure here is ignored.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// WriteBytes writes b to path as Write does.
func WriteBytes(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(b))
		return err
	})
}

// The temporary files of Write are named tempPrefix+NAME+tempInfix+DIGITS
// (os.CreateTemp puts a random decimal number in place of its "*").
const (
	tempPrefix = "."
	tempInfix  = ".tmp-"
)

// isTempName reports whether name is that of a temporary file of Write:
// ".NAME.tmp-DIGITS" with a non-empty NAME.
func isTempName(name string) bool {
	if !strings.HasPrefix(name, tempPrefix) {
		return false
	}
	i := strings.LastIndex(name, tempInfix)
	if i <= len(tempPrefix) || i+len(tempInfix) == len(name) {
		return false
	}
	for _, r := range name[i+len(tempInfix):] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// RemoveStaleTemps removes, from the folder dir (not its subfolders), the
// temporary files that a Write killed before its rename left behind
// (".metrics.csv.tmp-123456789" for metrics.csv), and returns their paths.
// It removes only regular files named as Write names its temporary files,
// and all of them, so the caller must make sure that no Write into dir is
// under way (for a training run: hold the run folder's lock). A missing
// dir is not an error. The first error met is returned with the paths
// removed until then.
func RemoveStaleTemps(dir string) (removed []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("remove stale temporary files: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTempName(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove stale temporary file: %w", err)
		}
		removed = append(removed, path)
	}
	return removed, nil
}
