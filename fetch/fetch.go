// Package fetch downloads otgen's datasets from their public mirrors and
// verifies them against checksums built into otgen. It holds all of
// otgen's network code; package data reads the files and never reaches the
// network.
//
// A dataset's folder is found by Dir: an explicit folder (--data-dir, --dir)
// first, then $OTGEN_DATA/<name>, then <user cache>/otgen/data/<name>.
// Ensure makes sure a dataset is there and downloads it when it is not;
// Fetch downloads whatever is missing or wrong; Verify checks a folder.
//
// Downloads are resumable and atomic: bytes go to a hidden ".NAME.part" file
// beside the final one (with ".NAME.part.json" saying which URL they came
// from), an interrupted transfer continues with an HTTP Range request, and
// only a file whose checksum matches is renamed to its final name. Every
// mirror of a dataset is tried in order.
//
// Checksums of .gz files are of their decompressed contents: mirrors
// recompress the files (Debian's Fashion-MNIST has other .gz bytes than
// upstream's, with the same IDX payload), and otgen's readers decompress
// them anyway, so the payload is what has to be right.
package fetch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DataEnv is the environment variable that names the folder holding one
// folder per dataset (mnist/, fashion-mnist/, celeba/). It is the same
// variable as data.DataEnv.
const DataEnv = "OTGEN_DATA"

// Errors wrapped by this package's errors.
var (
	// ErrUnknown: a dataset name that the catalog does not have.
	ErrUnknown = errors.New("unknown dataset")
	// ErrMissing: a file of the dataset is not in its folder.
	ErrMissing = errors.New("missing")
	// ErrChecksum: a file's contents do not match the checksum built into
	// otgen.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrMirror: a mirror answered with something other than the file (an
	// HTML page, an HTTP error, a body that stalled or ended early).
	ErrMirror = errors.New("mirror failed")
)

// Dataset is one dataset of the catalog.
type Dataset struct {
	// Name is the name used by the commands and the folder name under
	// $OTGEN_DATA and the cache: "mnist", "fashion-mnist", "celeba".
	Name string
	// Title says what it is, in a few words.
	Title string
	// Licence names the terms of use.
	Licence string
	// Files are the files of the dataset, as they lie in its folder.
	Files []File
	// Mirrors are URL templates tried in order; "{file}" stands for
	// File.Name and "{id}" for File.ID.
	Mirrors []string
	// Manual says what to do when no mirror delivers (empty: nothing more
	// than trying again later).
	Manual string
}

// File is one file of a dataset with the checksum of its contents.
type File struct {
	// Name is the file's name in the dataset folder and on the mirrors.
	Name string
	// Size is the length of the contents the checksum covers: the
	// decompressed length for a .gz file, the file's length otherwise
	// (0: unknown).
	Size int64
	// SHA256 is the hex SHA-256 of the contents, decompressed for a .gz
	// file.
	SHA256 string
	// MD5 is the hex MD5 of the file, for the few files whose publishers
	// give no SHA-256 (CelebA's); used only when SHA256 is empty.
	MD5 string
	// ID is the file's id on mirrors that address files by id (Google
	// Drive).
	ID string
	// Unpack, when not empty, names the folder that this zip file unpacks
	// to in the dataset folder; the zip is removed once it is unpacked.
	Unpack string
	// Optional files may be missing: a folder without them still counts
	// as the dataset (CelebA's attributes are needed only by --attr).
	Optional bool
}

// Names lists the datasets of the catalog.
func Names() []string {
	names := make([]string, len(catalog))
	for i, d := range catalog {
		names[i] = d.Name
	}
	sort.Strings(names)
	return names
}

// Lookup returns the dataset called name; an unknown name is an error
// wrapping ErrUnknown that lists the known ones.
func Lookup(name string) (Dataset, error) {
	for _, d := range catalog {
		if d.Name == name {
			return d, nil
		}
	}
	return Dataset{}, fmt.Errorf("%w %q (known: %s)", ErrUnknown, name, strings.Join(Names(), ", "))
}

// Dir returns the folder of dataset name: explicit when it is not empty,
// else $OTGEN_DATA/<name> when OTGEN_DATA is set, else
// <user cache>/otgen/data/<name> (os.UserCacheDir: $XDG_CACHE_HOME or
// ~/.cache on Linux). It does not look at the disk: the folder may not
// exist yet. The commands call it to find a dataset, and Ensure calls it
// when given no folder.
func Dir(name, explicit string) (string, error) {
	if _, err := Lookup(name); err != nil {
		return "", err
	}
	if explicit != "" {
		return explicit, nil
	}
	if root := os.Getenv(DataEnv); root != "" {
		return filepath.Join(root, name), nil
	}
	return CacheDir(name)
}

// CacheDir returns <user cache>/otgen/data/<name>, the default folder of a
// dataset when neither a folder nor OTGEN_DATA is given.
func CacheDir(name string) (string, error) {
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache folder for %s (set %s, XDG_CACHE_HOME or HOME, or pass a folder): %w", name, DataEnv, err)
	}
	return filepath.Join(c, "otgen", "data", name), nil
}
