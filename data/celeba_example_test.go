package data_test

import (
	"fmt"
	"log"

	"otgen/data"
)

// Open the men of CelebA at 64x64 in [-1, 1], as a --attr Male=1 flag
// asks, and draw shuffled batches of 64 from them.
func ExampleOpenCelebA() {
	dir, err := data.DefaultCelebADir() // $OTGEN_DATA/celeba
	if err != nil {
		log.Fatal(err)
	}
	attr, err := data.ParseAttrFilter("Male=1")
	if err != nil {
		log.Fatal(err)
	}
	faces, err := data.OpenCelebA(dir, data.CelebAOptions{
		ImageOptions: data.ImageOptions{Size: 64, Range: data.RangeSigned, OnCorrupt: data.OnCorruptSkip},
		Attr:         attr,
	})
	if err != nil {
		log.Fatal(err)
	}
	b, err := data.NewShuffleBatcher(faces, 64, 1)
	if err != nil {
		log.Fatal(err)
	}
	batch := make([]float32, 64*3*64*64) // reused for every batch
	if err := b.Next(batch); err != nil {
		log.Fatal(err)
	}
	fmt.Println(faces.Len(), faces.Shape())
}
