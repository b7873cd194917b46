// Package cli is the shared layer of otgen's commands: one main prologue
// (optional setup such as the OpenBLAS restart, Ctrl-C as a context, exit
// codes, one-line errors), flag sets whose usage shows the command's own
// header, and list flags ("--hidden 512,256") parsed in one place.
//
// A command keeps its logic in a testable function
//
//	func run(ctx context.Context, args []string, stdout, stderr io.Writer) error
//
// and its main is one line:
//
//	func main() { cli.Main("train", os.Args[1:], run, nn.ReexecWithFastBLAS) }
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// Func is a command's body: it parses args, writes results to stdout and
// progress and diagnostics to stderr, and stops early when ctx is done.
type Func func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// Main runs a command and exits the process. Each before hook runs first
// (a failing hook prints a warning and the command still runs). The
// context is cancelled by Ctrl-C or SIGTERM. The exit status is 0 on
// success and for --help, 1 with one line "name: error" on stderr
// otherwise (the name once, even when the error already starts with it);
// a panic is reported in one line too, with exit status 2 (set
// OTGEN_TRACEBACK=1 to see its stack).
func Main(name string, args []string, run Func, before ...func() error) {
	os.Exit(Exec(name, args, run, os.Stdout, os.Stderr, before...))
}

// Exec is Main without the exit: it returns the exit status.
func Exec(name string, args []string, run Func, stdout, stderr io.Writer, before ...func() error) (status int) {
	for _, f := range before {
		if err := f(); err != nil {
			fmt.Fprintf(stderr, "%s: warning: %v\n", name, err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal the default handling returns: a second
		// Ctrl-C ends a command that is slow to stop.
		<-ctx.Done()
		stop()
	}()
	defer func() {
		if r := recover(); r != nil {
			if os.Getenv("OTGEN_TRACEBACK") == "1" {
				fmt.Fprintf(stderr, "%s: internal error: %v\n%s", name, r, debug.Stack())
			} else {
				fmt.Fprintf(stderr, "%s: internal error: %v (a bug: please report it; OTGEN_TRACEBACK=1 shows where)\n", name, oneLine(fmt.Sprint(r)))
			}
			status = 2
		}
	}()
	err := run(ctx, args, stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	default:
		msg := oneLine(err.Error())
		// A command named after its package (train) would say its name
		// twice: "train: train: ...".
		if !strings.HasPrefix(msg, name+": ") {
			msg = name + ": " + msg
		}
		fmt.Fprintln(stderr, msg)
		return 1
	}
}

// oneLine joins the lines of a message so that every error is one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// NewFlagSet returns a flag set that reports errors instead of exiting,
// writes to stderr, and whose usage prints header (the command's synopsis
// and examples) before the flags and their defaults.
func NewFlagSet(name string, stderr io.Writer, header string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, strings.TrimRight(header, "\n")+"\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// Parse parses args into fs and refuses positional arguments beyond the
// first max (0: none).
func Parse(fs *flag.FlagSet, args []string, max int) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > max {
		return fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(max))
	}
	return nil
}

// Explicit returns the names of the flags given on the command line.
func Explicit(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}
