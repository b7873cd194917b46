package fetch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Ensure makes sure dataset name is in dir and returns the folder. An
// empty dir means Dir(name, ""): $OTGEN_DATA/<name>, else the user cache.
// When every file of the dataset is there it returns at once, trusting
// them (run Verify, or `cmd/data verify`, for a full check); otherwise it
// calls Fetch. cmd/train --download calls it before opening the data.
func Ensure(ctx context.Context, name, dir string, o *Options) (string, error) {
	dir, err := Dir(name, dir)
	if err != nil {
		return "", err
	}
	d, _ := Lookup(name)
	if present(d, dir) && (o == nil || len(o.From) == 0) {
		return dir, nil
	}
	if _, err := Fetch(ctx, name, dir, o); err != nil {
		return "", err
	}
	return dir, nil
}

// Present reports whether every file of dataset name is in dir (without
// checking their contents).
func Present(name, dir string) bool {
	d, err := Lookup(name)
	return err == nil && present(d, dir)
}

func present(d Dataset, dir string) bool {
	for _, f := range d.Files {
		p := filepath.Join(dir, f.Name)
		if f.Unpack != "" {
			p = filepath.Join(dir, f.Unpack)
		}
		if _, err := os.Stat(p); err != nil && !f.Optional {
			return false
		}
	}
	return true
}

// Fetch downloads into dir (created if needed) every file of dataset name
// that is missing or whose checksum is wrong, from the dataset's mirrors
// (or o.Mirrors), tried in order, and verifies each. With o.From it takes
// the files from local folders instead (for CelebA also archives, see
// Options.From), verified the same way. A file is
// written under its final name only once its checksum matches; an
// interrupted download resumes on the next call. Files already right are
// left alone. The report says what was checked (each file once); the
// error is also the report's Err.
func Fetch(ctx context.Context, name, dir string, o *Options) (*Report, error) {
	if o == nil {
		o = &Options{}
	}
	d, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, fmt.Errorf("%s: no folder given", name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(o.From) > 0 {
		if d.Name != "celeba" {
			return importFiles(d, dir, o)
		}
		if err := importCelebA(ctx, dir, o); err != nil {
			return nil, err
		}
		return finish(verifyCelebA(dir))
	}
	for _, f := range d.Files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		final := filepath.Join(dir, f.Name)
		if f.Unpack != "" {
			if _, err := os.Stat(filepath.Join(dir, f.Unpack)); err == nil {
				continue // unpacked before; Verify checks its contents
			}
		}
		if _, err := os.Stat(final); err == nil {
			if checkFile(final, f) == nil {
				o.logf("%s: %s is there and right", d.Name, f.Name)
				if f.Unpack == "" {
					continue
				}
			} else if err := download(ctx, d, f, dir, o); err != nil {
				return nil, err
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", name, err)
		} else if err := download(ctx, d, f, dir, o); err != nil {
			return nil, err
		}
		if f.Unpack != "" {
			if err := unpackImages(ctx, final, dir, o); err != nil {
				return nil, err
			}
			os.Remove(final)
		}
	}
	if d.Name == "celeba" {
		return finish(verifyCelebA(dir))
	}
	r := &Report{Dataset: d.Name, Dir: dir}
	for _, f := range d.Files {
		r.Files = append(r.Files, FileReport{Name: f.Name, State: OK, Detail: checkedWhat(f), Optional: f.Optional})
	}
	return r, nil
}

// importFiles copies each file of d from the first folder of o.From that
// has it, verifying it before it takes its final name.
func importFiles(d Dataset, dir string, o *Options) (*Report, error) {
	r := &Report{Dataset: d.Name, Dir: dir}
	for _, f := range d.Files {
		var src string
		for _, from := range o.From {
			if isFile(filepath.Join(from, f.Name)) {
				src = filepath.Join(from, f.Name)
				break
			}
		}
		if src == "" {
			return nil, fmt.Errorf("%s: %s is in none of %s", d.Name, f.Name, strings.Join(o.From, ", "))
		}
		p := pathsOf(dir, f.Name)
		if abs1, _ := filepath.Abs(src); abs1 != "" {
			if abs2, _ := filepath.Abs(p.final); abs1 == abs2 {
				if err := checkFile(src, f); err != nil {
					return nil, fmt.Errorf("%s: %s: %w", d.Name, src, err)
				}
				r.Files = append(r.Files, FileReport{Name: f.Name, State: OK, Detail: checkedWhat(f)})
				continue
			}
		}
		if err := copyFile(src, p.part); err != nil {
			return nil, fmt.Errorf("%s: %w", d.Name, err)
		}
		os.Remove(p.meta) // not a download to resume
		if err := commit(p, f); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", d.Name, src, err)
		}
		o.logf("%s: %s copied from %s and verified", d.Name, f.Name, src)
		r.Files = append(r.Files, FileReport{Name: f.Name, State: OK, Detail: checkedWhat(f)})
	}
	return r, nil
}

// finish returns a report with its Err.
func finish(r *Report, err error) (*Report, error) {
	if err != nil {
		return nil, err
	}
	return r, r.Err()
}
