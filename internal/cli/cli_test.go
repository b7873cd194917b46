package cli

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestExecStatusAndOneLineErrors(t *testing.T) {
	cases := []struct {
		name   string
		run    Func
		status int
		stderr string
	}{
		{"ok", func(context.Context, []string, io.Writer, io.Writer) error { return nil }, 0, ""},
		{"help", func(context.Context, []string, io.Writer, io.Writer) error { return flag.ErrHelp }, 0, ""},
		{"error", func(context.Context, []string, io.Writer, io.Writer) error {
			return errors.New("read x.png:\n  bad header")
		}, 1, "cmd: read x.png: bad header\n"},
		{"own name once", func(context.Context, []string, io.Writer, io.Writer) error {
			return errors.New("cmd: run folder x is in use")
		}, 1, "cmd: run folder x is in use\n"},
		{"panic", func(context.Context, []string, io.Writer, io.Writer) error { panic("boom\nline") }, 2,
			"cmd: internal error: boom line (a bug: please report it; OTGEN_TRACEBACK=1 shows where)\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errw strings.Builder
			if got := Exec("cmd", nil, c.run, &out, &errw); got != c.status {
				t.Errorf("status %d, want %d", got, c.status)
			}
			if errw.String() != c.stderr {
				t.Errorf("stderr %q, want %q", errw.String(), c.stderr)
			}
		})
	}
}

func TestBeforeHookFailureWarns(t *testing.T) {
	var out, errw strings.Builder
	ran := false
	st := Exec("cmd", nil, func(context.Context, []string, io.Writer, io.Writer) error { ran = true; return nil },
		&out, &errw, func() error { return errors.New("no fast BLAS") })
	if st != 0 || !ran || errw.String() != "cmd: warning: no fast BLAS\n" {
		t.Fatalf("status %d ran %v stderr %q", st, ran, errw.String())
	}
}

func TestListFlags(t *testing.T) {
	hidden := []int{128, 128}
	eps := []float64{0.1}
	var seeds []uint64
	var names []string
	fs := NewFlagSet("x", io.Discard, "Usage: x")
	fs.Var((*Ints)(&hidden), "hidden", "widths")
	fs.Var((*Floats)(&eps), "eps", "eps")
	fs.Var((*Uints)(&seeds), "seeds", "seeds")
	fs.Var((*Strings)(&names), "losses", "losses")
	if f := fs.Lookup("hidden"); f.DefValue != "128,128" {
		t.Errorf("hidden default %q, want the bound value 128,128", f.DefValue)
	}
	if err := Parse(fs, []string{"--hidden", "512, 256", "--eps", "1e-2,1", "--seeds", "0,7", "--losses", "vae,wgan-gp"}, 0); err != nil {
		t.Fatal(err)
	}
	if len(hidden) != 2 || hidden[0] != 512 || hidden[1] != 256 {
		t.Errorf("hidden %v", hidden)
	}
	if len(eps) != 2 || eps[0] != 0.01 || len(seeds) != 2 || seeds[1] != 7 || len(names) != 2 {
		t.Errorf("eps %v seeds %v names %v", eps, seeds, names)
	}
	for _, bad := range [][]string{{"--hidden", "0"}, {"--hidden", "5,,6"}, {"--hidden", "-3"}, {"--eps", "NaN"}, {"--seeds", "-1"}, {"--hidden", "1", "extra"}} {
		fs := NewFlagSet("x", io.Discard, "Usage: x")
		fs.Var((*Ints)(&hidden), "hidden", "")
		fs.Var((*Floats)(&eps), "eps", "")
		fs.Var((*Uints)(&seeds), "seeds", "")
		if err := Parse(fs, bad, 0); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestUsageShowsHeaderAndDefaults(t *testing.T) {
	var errw strings.Builder
	fs := NewFlagSet("x", &errw, "Usage: x [flags]\n\nDoes x.\n")
	fs.Int("steps", 1500, "iterations")
	fs.Usage()
	got := errw.String()
	if !strings.HasPrefix(got, "Usage: x [flags]\n\nDoes x.\n\nFlags:\n") || !strings.Contains(got, "(default 1500)") {
		t.Fatalf("usage:\n%s", got)
	}
}

func TestChoice(t *testing.T) {
	type prior string
	p := prior("gaussian")
	fs := NewFlagSet("x", io.Discard, "")
	fs.Var(OneOf(&p, "gaussian", "uniform"), "prior", "")
	if d := fs.Lookup("prior").DefValue; d != "gaussian" {
		t.Errorf("default %q", d)
	}
	if err := Parse(fs, []string{"--prior", "uniform"}, 0); err != nil || p != "uniform" {
		t.Fatalf("%v %q", err, p)
	}
	fs = NewFlagSet("x", io.Discard, "")
	fs.Var(OneOf(&p, "gaussian", "uniform"), "prior", "")
	if err := Parse(fs, []string{"--prior", "gausian"}, 0); err == nil || !strings.Contains(err.Error(), "gaussian, uniform") {
		t.Fatalf("typo accepted or unclear: %v", err)
	}
}
