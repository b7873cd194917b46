package checkpoints

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// FileMode is the permission of the files [Write] creates.
const FileMode fs.FileMode = 0o644

// Write writes a checkpoint holding meta and tensors (see [Encode]) to the
// file at path, atomically: the file at path is either left as it was or
// replaced by the complete new checkpoint, never by a partial one.
//
// Write validates its input before it creates anything; invalid input gives
// an error wrapping [ErrInvalid]. It then encodes into a temporary file
// ".NAME-*.tmp" in the folder of path, syncs and closes it, sets its mode to
// [FileMode], renames it to path and syncs the folder. On any failure before
// the rename the temporary file is removed. If only the final sync of the
// folder fails, the new checkpoint is in place but Write still reports the
// error, since the rename may not survive a crash.
//
// Write does not create folders: the folder of path must exist (callers use
// [os.MkdirAll]). A process killed during Write leaves its temporary file;
// [RemoveStaleTemps] removes such files.
func Write(path string, meta any, tensors []Tensor) error {
	return writeWith(osFS{}, path, meta, tensors)
}

// fileSystem is what Write needs from the operating system; tests inject
// faults through it.
type fileSystem interface {
	CreateTemp(dir, pattern string) (tempFile, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
	SyncDir(dir string) error
}

// tempFile is the part of *os.File that Write uses.
type tempFile interface {
	io.Writer
	Name() string
	Chmod(fs.FileMode) error
	Sync() error
	Close() error
}

// osFS is the real file system.
type osFS struct{}

func (osFS) CreateTemp(dir, pattern string) (tempFile, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err // a nil *os.File must not become a non-nil tempFile
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

// writeWith is Write on the file system fsys.
func writeWith(fsys fileSystem, path string, meta any, tensors []Tensor) (err error) {
	base := filepath.Base(path)
	if path == "" || base == "." || base == ".." || base == string(filepath.Separator) ||
		os.IsPathSeparator(path[len(path)-1]) {
		return fmt.Errorf("checkpoints: write %q: %w", path,
			&kindError{kind: ErrInvalid, msg: "path names no file"})
	}
	hdr, err := prepare(meta, tensors)
	if err != nil {
		return fmt.Errorf("checkpoints: write %s: %w", path, err)
	}

	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("checkpoints: write %s: %w", path,
			&kindError{kind: ErrInvalid, msg: "is a directory, not a checkpoint file"})
	}
	dir := filepath.Dir(path)
	tmp, err := fsys.CreateTemp(dir, tempPrefix+base+"-*"+tempSuffix)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("checkpoints: write %s: folder %s does not exist (Write does not create folders): %w", path, dir, err)
		}
		return fmt.Errorf("checkpoints: write %s: create temporary file: %w", path, err)
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

	if err := encode(tmp, hdr, tensors); err != nil {
		return fmt.Errorf("checkpoints: write %s: %w", path, err)
	}
	if err := tmp.Chmod(FileMode); err != nil {
		return fmt.Errorf("checkpoints: write %s: chmod temporary file: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("checkpoints: write %s: sync: %w", path, err)
	}
	closed = true
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("checkpoints: write %s: close: %w", path, err)
	}
	if err := fsys.Rename(tmpName, path); err != nil {
		return fmt.Errorf("checkpoints: write %s: rename: %w", path, err)
	}
	renamed = true
	if err := fsys.SyncDir(dir); err != nil {
		// The new checkpoint is in place and the temporary name is gone.
		return fmt.Errorf("checkpoints: write %s: written, but sync of folder %s failed: %w", path, dir, err)
	}
	return nil
}

// The temporary files of Write are named tempPrefix+NAME+"-"+DIGITS+tempSuffix
// (os.CreateTemp puts a random decimal number in place of its "*").
const (
	tempPrefix = "."
	tempSuffix = ".tmp"
)

// isTempName reports whether name is that of a temporary file of Write:
// ".NAME-DIGITS.tmp" with a non-empty NAME.
func isTempName(name string) bool {
	if !strings.HasPrefix(name, tempPrefix) || !strings.HasSuffix(name, tempSuffix) {
		return false
	}
	mid := name[len(tempPrefix) : len(name)-len(tempSuffix)]
	dash := strings.LastIndexByte(mid, '-')
	if dash < 1 || dash == len(mid)-1 {
		return false
	}
	for _, r := range mid[dash+1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// RemoveStaleTemps removes, from the folder dir (not its subfolders), the
// temporary files that a Write killed before its rename left behind
// (".checkpoint.otgen-123456789.tmp" for checkpoint.otgen), and returns
// their paths. It removes only regular files named as Write names its
// temporary files, and all of them, so the caller must make sure that no
// Write into dir is under way (for a training run: call it while holding
// the run folder's lock, before the first checkpoint). A missing dir is not
// an error. The first error met (listing dir or removing a file) is
// returned with the paths removed until then.
func RemoveStaleTemps(dir string) (removed []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("checkpoints: remove stale temporary files: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTempName(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("checkpoints: remove stale temporary file: %w", err)
		}
		removed = append(removed, path)
	}
	return removed, nil
}
