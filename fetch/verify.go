package fetch

import (
	"compress/gzip"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// State is what verifying one file of a dataset found.
type State int

// The states of a verified file.
const (
	// OK: the contents match the checksum built into otgen.
	OK State = iota
	// Unverified: the file is there and well formed, but otgen knows no
	// checksum for this version of it (e.g. a CelebA folder that is
	// neither the official set nor otgen's sample).
	Unverified
	// Missing: the file is not there.
	Missing
	// Bad: the file is there and wrong.
	Bad
)

// String names the state as the commands print it.
func (s State) String() string {
	switch s {
	case OK:
		return "ok"
	case Unverified:
		return "unverified"
	case Missing:
		return "missing"
	case Bad:
		return "BAD"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// FileReport is the verdict on one file (or folder) of a dataset.
type FileReport struct {
	// Name is the file's name in the dataset folder.
	Name string
	// State is the verdict.
	State State
	// Detail says what was checked, or what is wrong.
	Detail string
	// Optional: the dataset is usable without this file, so its absence
	// is no error.
	Optional bool

	err error // the error behind a Bad state, when there is one
}

// Report is the verdict on a dataset folder.
type Report struct {
	// Dataset is the dataset's name, Dir its folder.
	Dataset, Dir string
	// Files has one entry per file of the dataset.
	Files []FileReport
}

// Err returns nil when no file is missing or bad, else an error naming
// the first such file and how many there are; it wraps ErrMissing or
// ErrChecksum.
func (r *Report) Err() error {
	var first *FileReport
	n := 0
	for i := range r.Files {
		if s := r.Files[i].State; s == Bad || s == Missing && !r.Files[i].Optional {
			if first == nil {
				first = &r.Files[i]
			}
			n++
		}
	}
	if first == nil {
		return nil
	}
	sentinel := ErrMissing
	if first.State == Bad {
		sentinel = ErrChecksum
	}
	more := ""
	if n > 1 {
		more = fmt.Sprintf(" (and %d more of %d files)", n-1, len(r.Files))
	}
	return fmt.Errorf("%s in %s: %s: %w: %s%s", r.Dataset, r.Dir, first.Name, sentinel, first.Detail, more)
}

// Verify checks the folder dir of dataset name against the checksums
// built into otgen and returns a report of every file. The error is about
// the dataset name or reading the folder; the report's Err says whether the
// files are right.
func Verify(name, dir string) (*Report, error) {
	d, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if info, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	} else if !info.IsDir() {
		return nil, fmt.Errorf("%s: %s is not a folder", name, dir)
	}
	if d.Name == "celeba" {
		return verifyCelebA(dir)
	}
	r := &Report{Dataset: d.Name, Dir: dir}
	for _, f := range d.Files {
		r.Files = append(r.Files, verifyFile(filepath.Join(dir, f.Name), f))
	}
	return r, nil
}

// Identify returns the dataset whose files dir holds (verifying it against
// each dataset of the catalog) and the report for it: the dataset all of
// whose files are right, else the one with the most right files. MNIST
// and Fashion-MNIST have the same file names, so only their checksums tell
// them apart.
func Identify(dir string) (*Report, error) {
	var best *Report
	score := func(r *Report) (ok, present int) {
		for _, f := range r.Files {
			if f.State == OK || f.State == Unverified {
				ok++
			}
			if f.State != Missing {
				present++
			}
		}
		return ok, present
	}
	for _, d := range catalog {
		r, err := Verify(d.Name, dir)
		if err != nil {
			return nil, err
		}
		if best == nil {
			best = r
			continue
		}
		ok, present := score(r)
		bok, bpresent := score(best)
		if ok > bok || ok == bok && present > bpresent {
			best = r
		}
	}
	if _, present := score(best); present == 0 {
		return best, fmt.Errorf("%s holds no file of any dataset (%s)", dir, strings.Join(Names(), ", "))
	}
	return best, nil
}

// verifyFile checks one file at path against f.
func verifyFile(path string, f File) FileReport {
	fr := FileReport{Name: f.Name, Optional: f.Optional}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		fr.State, fr.Detail = Missing, "not in the folder"
		return fr
	}
	if err := checkFile(path, f); err != nil {
		fr.State, fr.Detail, fr.err = Bad, err.Error(), err
		return fr
	}
	fr.State, fr.Detail = OK, checkedWhat(f)
	return fr
}

// checkedWhat says what checkFile compares for f.
func checkedWhat(f File) string {
	switch {
	case f.SHA256 != "" && strings.HasSuffix(f.Name, ".gz"):
		return "SHA-256 of the decompressed contents"
	case f.SHA256 != "":
		return "SHA-256"
	default:
		return "MD5 (the only published checksum)"
	}
}

// checkFile compares the file at path with f's checksum: SHA-256 of the
// decompressed contents for .gz files, SHA-256 or MD5 of the bytes
// otherwise. A mismatch, a wrong length and data that does not decompress
// wrap ErrChecksum; the error does not repeat the path.
func checkFile(path string, f File) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	var src io.Reader = fh
	gz := strings.HasSuffix(f.Name, ".gz")
	if gz {
		zr, err := gzip.NewReader(fh)
		if err != nil {
			return fmt.Errorf("%w: not gzip data (%v)", ErrChecksum, err)
		}
		defer zr.Close()
		src = zr
	}
	var h hash.Hash
	want := f.SHA256
	algo := "SHA-256"
	if want == "" {
		h, want, algo = md5.New(), f.MD5, "MD5"
	} else {
		h = sha256.New()
	}
	n, err := io.Copy(h, src)
	if err != nil {
		if gz {
			return fmt.Errorf("%w: gzip data is corrupt or truncated after %d decompressed bytes (%v)", ErrChecksum, n, err)
		}
		return err
	}
	if f.Size > 0 && n != f.Size {
		what := "bytes"
		if gz {
			what = "decompressed bytes"
		}
		return fmt.Errorf("%w: %d %s, want %d", ErrChecksum, n, what, f.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: %s %s, want %s", ErrChecksum, algo, got, want)
	}
	return nil
}
