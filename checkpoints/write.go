package checkpoints

import (
	"fmt"
	"io"
	"os"
	"otgen/internal/atomicfile"
	"path/filepath"
)

// FileMode is the permission of the files [Write] creates.
const FileMode = atomicfile.FileMode

// Write writes a checkpoint holding meta and tensors (see [Encode]) to the
// file at path, atomically, through otgen's one atomic writer
// (internal/atomicfile): the file at path is either left as it was or
// replaced by the complete new checkpoint, never by a partial one.
//
// Write validates its input before it creates anything; invalid input gives
// an error wrapping [ErrInvalid]. It then encodes into a temporary file
// ".NAME.tmp-DIGITS" in the folder of path, syncs and closes it, sets its
// mode to [FileMode], renames it to path and syncs the folder. On any
// failure before the rename the temporary file is removed. If only the
// final sync of the folder fails, the new checkpoint is in place but Write
// still reports the error, since the rename may not survive a crash.
//
// Write does not create folders: the folder of path must exist (callers use
// [os.MkdirAll]).
func Write(path string, meta any, tensors []Tensor) error {
	return writeWith(atomicfile.OS, path, meta, tensors)
}

// writeWith is Write on the file system fsys.
func writeWith(fsys atomicfile.FS, path string, meta any, tensors []Tensor) error {
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
	err = atomicfile.WriteFS(fsys, path, func(w io.Writer) error { return encode(w, hdr, tensors) })
	if err != nil {
		return fmt.Errorf("checkpoints: %w", err)
	}
	return nil
}
