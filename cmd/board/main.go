// Command board serves a live web page of the run folders: the runs with
// their config, their metric curves overlaid, their latest samples and the
// tables of cmd/compare folders. It only reads the runs folder.
//
// Usage:
//
//	go run ./cmd/board [--runs runs] [--addr 127.0.0.1:6006]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"otgen/board"
	"otgen/internal/cli"
)

func main() { cli.Main("board", os.Args[1:], run) }

const header = `Usage: board [--runs runs] [--addr 127.0.0.1:6006]

Serves a live web page of the run folders under --runs: the runs (live and
finished) with their config, their metric curves (several runs overlaid),
their latest sample grids and the tables of cmd/compare folders. It only
reads the folders and listens on the loopback address unless told
otherwise. Open the address it prints in a browser; Ctrl-C stops it.

Examples:
  board
  board --runs runs/compare-mnist --addr 127.0.0.1:8080
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("board", stderr, header)
	runs := fs.String("runs", "runs", "the folder of run folders")
	addr := fs.String("addr", "127.0.0.1:6006", "address to listen on (host:port; a host other than loopback exposes the runs to the network)")
	live := fs.Duration("live", board.DefaultLive, "a run whose metrics changed within this window, and that is not finished, is live")
	poll := fs.Duration("poll", board.DefaultPoll, "how often the page refreshes")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	if info, err := os.Stat(*runs); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("runs folder %s does not exist (train a model first, e.g. go run ./cmd/train, or pass --runs)", *runs)
		}
		return err
	} else if !info.IsDir() {
		return fmt.Errorf("--runs %s is not a folder", *runs)
	}
	b, err := board.New(*runs, &board.Options{Live: *live, Poll: *poll})
	if err != nil {
		return err
	}
	defer b.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		fmt.Fprintf(stderr, "board: warning: listening on %s, reachable from other machines\n", ln.Addr())
	}
	srv := &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "board: serving %s at http://%s/ (Ctrl-C stops)\n", *runs, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		return nil
	}
}
