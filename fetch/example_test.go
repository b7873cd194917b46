package fetch_test

import (
	"fmt"

	"otgen/fetch"
)

// A command finds a dataset's folder with Dir: the folder the user gave
// (--data-dir) wins, then $OTGEN_DATA/<name>, then the user cache. With
// --download it calls Ensure(ctx, name, dir, nil) instead, which returns the
// same folder after downloading what is missing.
func ExampleDir() {
	dir, err := fetch.Dir("fashion-mnist", "/data/fashion")
	fmt.Println(dir, err)
	_, err = fetch.Dir("cifar10", "")
	fmt.Println(err)
	// Output:
	// /data/fashion <nil>
	// unknown dataset "cifar10" (known: celeba, fashion-mnist, mnist)
}

// The catalog: every file with the checksum it is verified against.
func ExampleLookup() {
	d, _ := fetch.Lookup("mnist")
	for _, f := range d.Files {
		fmt.Printf("%s %d bytes decompressed, sha256 %.12s…\n", f.Name, f.Size, f.SHA256)
	}
	// Output:
	// train-images-idx3-ubyte.gz 47040016 bytes decompressed, sha256 ba891046e650…
	// train-labels-idx1-ubyte.gz 60008 bytes decompressed, sha256 65a50cbbf4e9…
	// t10k-images-idx3-ubyte.gz 7840016 bytes decompressed, sha256 0fa7898d5092…
	// t10k-labels-idx1-ubyte.gz 10008 bytes decompressed, sha256 ff7bcfd416de…
}
