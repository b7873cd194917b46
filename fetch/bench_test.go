package fetch

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkFetchMNIST downloads and verifies the four MNIST files (11.6 MB
// of .gz, 55 MB decompressed) from a local server: the MB/s it reports is
// the whole command's rate, checksums included.
func BenchmarkFetchMNIST(b *testing.B) {
	d, _ := Lookup("mnist")
	files := readDataset(b, filepath.Join(sharedData(b), "mnist"), d)
	srv := newMirror(b, files)
	var n int64
	for _, f := range files {
		n += int64(len(f))
	}
	b.SetBytes(n)
	for b.Loop() {
		if _, err := Fetch(context.Background(), "mnist", b.TempDir(), &Options{Mirrors: []string{srv.URL}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDownload is the transfer alone: the 9.9 MB training images
// into a partial file, without the checksum.
func BenchmarkDownload(b *testing.B) {
	d, _ := Lookup("mnist")
	files := readDataset(b, filepath.Join(sharedData(b), "mnist"), d)
	srv := newMirror(b, files)
	f := d.Files[0]
	b.SetBytes(int64(len(files[f.Name])))
	o := &Options{}
	for b.Loop() {
		if err := fetchURL(context.Background(), srv.URL+"/"+f.Name, f, pathsOf(b.TempDir(), f.Name), o); err != nil {
			b.Fatal(err)
		}
	}
}
