// Command ot runs the optimal-transport experiments of Fatras, Zine,
// Flamary, Gribonval, Courty, "Learning with minibatch Wasserstein"
// (AISTATS 2020) on your own data, writing PNG figures:
//
//	ot colour-transfer --source A.jpg --target B.jpg [--m 1000] [--k K] [--out out.png]
//	    recolours A with the palette of B (and B with A's) through the
//	    barycentric map of the minibatch transport plan, and draws the
//	    effect of the minibatch size m side by side;
//	ot flow --source DIR --target DIR [--attr Male=1 --target-attr Male=-1] [--m 500 --k 10 --steps T --lr LR]
//	ot flow --toy 8gaussians
//	    moves source particles (images or 2-D points) along the gradient
//	    of the minibatch Wasserstein loss to the target set, with snapshots
//	    and the loss curve;
//	ot plans [--n 20 --m 1,2,5,10,20 --eps ...]
//	    the 1-D figure of minibatch plans next to entropic plans.
//
// Run "ot COMMAND -h" for the flags of a command. Long work shows a progress
// bar on a terminal and log lines otherwise; errors exit with status 1 and
// a one-line message; Ctrl-C stops a command at once (status 1). Images
// are read with data.DecodeImage, which refuses, from its header, an image
// of more than data.MaxImagePixels pixels; figures are written as PNG, or
// as JPEG when the name given to --out ends in .jpg or .jpeg.
//
// Built with -tags mpi and started by an MPI launcher (mpirun -np N, srun
// --mpi=pmix), colour-transfer and flow spread their minibatch pairs over
// the N ranks: every rank reads the inputs (at the same path on every
// node), solves its share of the pairs drawn from the same seed, and one
// allreduce adds the per-pixel sums of the barycentric map (the gradients
// of the flow, at every step); the result is that of one process up to
// the order of the float sums. Rank 0 alone writes and reports; plans runs
// on rank 0 alone.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"otgen/dist"
	"otgen/internal/cli"
)

func main() {
	cli.Main("ot", os.Args[1:], func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		comm, err := dist.World()
		if err != nil {
			return err
		}
		if comm.Rank() != 0 {
			// Rank 0 alone reports; the other ranks of a job compute.
			stdout, stderr = io.Discard, io.Discard
		}
		err = interruptible(ctx, func(args []string, stdout, stderr io.Writer) error {
			return runOn(comm, args, stdout, stderr)
		}, args, stdout, stderr)
		return comm.End("ot", err)
	})
}

// errInterrupted is the error of a command stopped by Ctrl-C or SIGTERM.
var errInterrupted = errors.New("interrupted: stopped before the end; files already reported as written are complete, no other was written")

// interruptible runs run and returns errInterrupted as soon as ctx is
// done (Ctrl-C, SIGTERM), without waiting for it: the solvers of the
// subcommands take no context, and cli.Main, which exits the process on
// return, turns these signals into ctx. Every file is written atomically,
// so none is left half written (a temporary file may be).
func interruptible(ctx context.Context, run func([]string, io.Writer, io.Writer) error, args []string, stdout, stderr io.Writer) error {
	done := make(chan error, 1)
	go func() { done <- run(args, stdout, stderr) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return errInterrupted
	}
}

// commands maps each subcommand to its function and a one-line summary.
var commands = []struct {
	name, summary string
	run           func(comm *dist.Comm, args []string, stdout, stderr io.Writer) error
}{
	{"colour-transfer", "recolour an image with another's palette by minibatch OT", colourTransfer},
	{"flow", "minibatch Wasserstein gradient flow between two image folders or 2-D toys", flowCmd},
	{"plans", "1-D figure: minibatch plans for several m next to entropic plans", plans},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: ot COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun \"ot COMMAND -h\" for the flags of a command.")
}

// run runs a command as one process.
func run(args []string, stdout, stderr io.Writer) error {
	return runOn(dist.Single(), args, stdout, stderr)
}

// runOn runs a command on the ranks of comm (one rank for a process
// started without an MPI launcher): colour-transfer and flow spread their
// minibatch pairs over the ranks, and rank 0 alone writes files; plans
// runs on rank 0 alone. Errors that every rank meets alike (flags, input
// files) are marked dist.Shared, so that rank 0 alone reports them.
func runOn(comm *dist.Comm, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return dist.Shared(errors.New("no command given"))
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			if err := c.run(comm, args[1:], stdout, stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
				return fmt.Errorf("%s: %w", c.name, err)
			} else if err != nil {
				return err
			}
			return nil
		}
	}
	usage(stderr)
	return dist.Shared(fmt.Errorf("unknown command %q", args[0]))
}
