// Command data downloads otgen's datasets, verifies them and shows where
// they are.
//
// Usage:
//
//	go run ./cmd/data fetch mnist|fashion-mnist|celeba [--dir D]
//	go run ./cmd/data fetch celeba --from img_align_celeba.zip --from list_attr_celeba.txt
//	go run ./cmd/data verify [--dir D] [NAME...]
//	go run ./cmd/data list
//
// A dataset's folder is --dir (or --data-dir) when given, else
// $OTGEN_DATA/<name>, else <user cache>/otgen/data/<name>: the same rule
// the training commands follow.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"otgen/fetch"
	"otgen/internal/cli"
	"otgen/internal/term"
)

func main() { cli.Main("data", os.Args[1:], run) }

const usage = `Usage: data fetch NAME [--dir D] [--from PATH]... [--mirror URL]...
       data verify [--dir D] [NAME...]
       data list

Datasets: %s.

fetch downloads a dataset from its public mirrors (tried in order), checks
every file against the SHA-256 built into otgen (of the decompressed
contents for .gz files), resumes an interrupted download and never leaves a
half-written file under a final name. --from takes the files from a local
folder instead (e.g. Debian's /usr/share/datasets/fashion-mnist). CelebA's
Google Drive files are often over quota: download img_align_celeba.zip (and
list_attr_celeba.txt) yourself and pass them with --from, or a folder that
holds them or the unpacked img_align_celeba/.

verify checks a folder against the checksums; with --dir and no NAME it
finds which dataset the folder holds. list shows each dataset's folder and
what is in it.

The folder of a dataset is --dir when given, else $OTGEN_DATA/<name>, else
<user cache>/otgen/data/<name>.

Examples:
  data fetch mnist
  data fetch fashion-mnist --dir ~/data/fashion-mnist
  data fetch fashion-mnist --from /usr/share/datasets/fashion-mnist
  data fetch celeba --from ~/Downloads/img_align_celeba.zip --from ~/Downloads/list_attr_celeba.txt
  data verify
  data verify --dir ../shared/data/mnist
  data list
`

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, " ") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	header := fmt.Sprintf(usage, strings.Join(fetch.Names(), ", "))
	if len(args) == 0 {
		fmt.Fprint(stderr, header)
		return errors.New("no subcommand (fetch, verify or list)")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, header)
		return flag.ErrHelp
	}
	fs := cli.NewFlagSet("data "+args[0], stderr, header)
	dir := fs.String("dir", "", "the dataset's folder (default $OTGEN_DATA/<name>, else <user cache>/otgen/data/<name>)")
	fs.StringVar(dir, "data-dir", "", "the same as --dir")
	var from, mirrors multi
	var stall time.Duration
	if args[0] == "fetch" {
		fs.Var(&from, "from", "take the files from this local folder instead of downloading them (repeatable); for celeba also img_align_celeba.zip, list_attr_celeba.txt or an unpacked img_align_celeba/; they are verified the same way")
		fs.Var(&mirrors, "mirror", "a mirror URL to use instead of the dataset's own (repeatable, tried in order; {file} stands for the file name, else it is appended)")
		fs.DurationVar(&stall, "stall", fetch.DefaultStall, "give a mirror up after this long without data")
	}
	names, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "fetch":
		if len(names) != 1 {
			return fmt.Errorf("fetch needs one dataset name (%s)", strings.Join(fetch.Names(), ", "))
		}
		o := &fetch.Options{Mirrors: mirrors, Stall: stall, Log: stderr, TTY: term.IsTerminal(stderr), From: from}
		return runFetch(ctx, names[0], *dir, o, stdout)
	case "verify":
		return runVerify(names, *dir, stdout)
	case "list":
		if len(names) > 0 || *dir != "" {
			return errors.New("list takes no arguments")
		}
		return runList(stdout)
	}
	return fmt.Errorf("unknown subcommand %q (fetch, verify or list)", args[0])
}

// parseInterspersed parses flags that may come after the positional
// arguments ("fetch mnist --dir D") and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runFetch(ctx context.Context, name, dir string, o *fetch.Options, stdout io.Writer) error {
	dir, err := fetch.Dir(name, dir)
	if err != nil {
		return err
	}
	r, err := fetch.Fetch(ctx, name, dir, o)
	if r != nil {
		printReport(stdout, r)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ready in %s\n", name, dir)
	return nil
}

func runVerify(names []string, dir string, stdout io.Writer) error {
	if dir != "" && len(names) > 1 {
		return errors.New("verify --dir takes at most one dataset name")
	}
	if dir != "" && len(names) == 0 {
		r, err := fetch.Identify(dir)
		if err != nil {
			return err
		}
		printReport(stdout, r)
		return r.Err()
	}
	explicit := len(names) > 0
	if !explicit {
		names = fetch.Names()
	}
	var errs []error
	for _, n := range names {
		d, err := fetch.Dir(n, dir)
		if err != nil {
			return err
		}
		if _, err := os.Stat(d); errors.Is(err, os.ErrNotExist) && !explicit {
			fmt.Fprintf(stdout, "%s: not downloaded (%s)\n", n, d)
			continue
		}
		r, err := fetch.Verify(n, d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		printReport(stdout, r)
		if err := r.Err(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		more := ""
		if len(errs) > 1 {
			more = fmt.Sprintf(" (and %d more datasets)", len(errs)-1)
		}
		return fmt.Errorf("%w%s", errs[0], more)
	}
	return nil
}

func printReport(w io.Writer, r *fetch.Report) {
	fmt.Fprintf(w, "%s (%s):\n", r.Dataset, r.Dir)
	for _, f := range r.Files {
		fmt.Fprintf(w, "  %-10s  %-28s  %s\n", f.State, f.Name, f.Detail)
	}
}

func runList(stdout io.Writer) error {
	cache, err := fetch.CacheDir("")
	if err != nil {
		cache = "(none: " + err.Error() + ")"
	}
	src := "the user cache"
	if v := os.Getenv(fetch.DataEnv); v != "" {
		src = fetch.DataEnv + "=" + v
	}
	fmt.Fprintf(stdout, "datasets are looked up in --dir, else $%s/<name>, else %s (now: %s)\n\n", fetch.DataEnv, cache, src)
	for _, n := range fetch.Names() {
		d, _ := fetch.Lookup(n)
		dir, err := fetch.Dir(n, "")
		if err != nil {
			return err
		}
		state := "absent"
		if _, err := os.Stat(dir); err == nil {
			present, total := 0, 0
			for _, f := range d.Files {
				total++
				p := dir + string(os.PathSeparator) + f.Name
				if f.Unpack != "" {
					p = dir + string(os.PathSeparator) + f.Unpack
				}
				if _, err := os.Stat(p); err == nil {
					present++
				}
			}
			switch {
			case fetch.Present(n, dir):
				state = fmt.Sprintf("present (%d of %d files; `data verify %s` checks them)", present, total, n)
			default:
				state = fmt.Sprintf("incomplete (%d of %d files; `data fetch %s` completes it)", present, total, n)
			}
		}
		fmt.Fprintf(stdout, "%-14s %s\n  %-12s %s\n  %-12s %s\n", n, d.Title, "folder", dir, "state", state)
	}
	return nil
}
