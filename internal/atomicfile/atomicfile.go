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
	"runtime"
	"strings"
)

// Write writes the bytes produced by write to path through a temporary
// file ".NAME.tmp-DIGITS" in the same folder, which is synced, closed,
// given mode FileMode, renamed over path, and the folder synced. The
// temporary file never outlives a failure, and a previous file at path is
// left untouched by one. Write does not create folders. If only the final
// sync of the folder fails, the new file is in place but Write still
// reports the error, since the rename may not survive a crash.
func Write(path string, write func(io.Writer) error) error {
	return WriteFS(OS, path, write)
}

// FileMode is the permission of the files Write creates.
const FileMode fs.FileMode = 0o644

// FS is what Write needs from the operating system; tests inject faults
// (a full disk, a failing rename) through WriteFS.
type FS interface {
	CreateTemp(dir, pattern string) (File, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
	SyncDir(dir string) error
}

// File is the part of *os.File that Write uses.
type File interface {
	io.Writer
	Name() string
	Chmod(fs.FileMode) error
	Sync() error
	Close() error
}

// OS is the real file system.
var OS FS = osFS{}

type osFS struct{}

func (osFS) CreateTemp(dir, pattern string) (File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err // a nil *os.File must not become a non-nil File
	}
	return f, nil
}

func (osFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error             { return os.Remove(name) }

func (osFS) SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // folders cannot be opened for syncing there
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteFS is Write on the file system fsys.
func WriteFS(fsys FS, path string, write func(io.Writer) error) (err error) {
	base := filepath.Base(path)
	if path == "" || base == "." || base == ".." || base == string(filepath.Separator) || os.IsPathSeparator(path[len(path)-1]) {
		return fmt.Errorf("write %q: the path names no file", path)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("write %s: is a directory, not a file", path)
	}
	dir := filepath.Dir(path)
	tmp, err := fsys.CreateTemp(dir, tempPrefix+base+tempInfix+"*")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("write %s: folder %s does not exist: %w", path, dir, err)
		}
		return fmt.Errorf("write %s: create temporary file: %w", path, err)
	}
	tmpName := tmp.Name()
	closed, renamed := false, false
	defer func() {
		if err == nil || renamed {
			return
		}
		if !closed {
			tmp.Close()
		}
		fsys.Remove(tmpName)
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err := write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(FileMode); err != nil {
		return fmt.Errorf("write %s: chmod temporary file: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	closed = true
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: close: %w", path, err)
	}
	if err := fsys.Rename(tmpName, path); err != nil {
		return fmt.Errorf("write %s: rename: %w", path, err)
	}
	renamed = true
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("write %s: written, but sync of folder %s failed: %w", path, dir, err)
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
