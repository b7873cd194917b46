package checkpoints_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"otgen/checkpoints"
)

// Example writes a checkpoint into a fresh folder, reads it back and
// restores its tensors into a model's parameters.
func Example() {
	dir, err := os.MkdirTemp("", "otgen-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "last.otgen")

	params := []checkpoints.Tensor{
		{Name: "gen/fc1/weight", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
		{Name: "gen/fc1/bias", Shape: []int{3}, Data: []float32{0.5, 0, -0.5}},
	}
	meta := map[string]any{"model": "mlp", "step": 1000}
	if err := checkpoints.Write(path, meta, params); err != nil {
		log.Fatal(err)
	}

	f, err := checkpoints.Read(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("meta: %s\n", f.Meta)
	for _, t := range f.Tensors {
		fmt.Printf("%s %v\n", t.Name, t.Shape)
	}

	restored := []checkpoints.Tensor{
		{Name: "gen/fc1/bias", Shape: []int{3}, Data: make([]float32, 3)},
		{Name: "gen/fc1/weight", Shape: []int{2, 3}, Data: make([]float32, 6)},
	}
	if err := f.Restore(restored); err != nil {
		log.Fatal(err)
	}
	fmt.Println("bias:", restored[0].Data)
	// Output:
	// meta: {"model":"mlp","step":1000}
	// gen/fc1/weight [2 3]
	// gen/fc1/bias [3]
	// bias: [0.5 0 -0.5]
}

// ExampleFile_Restore shows the error for tensors that do not match.
func ExampleFile_Restore() {
	f := &checkpoints.File{Path: "runs/x/last.otgen", Tensors: []checkpoints.Tensor{
		{Name: "w", Shape: []int{2}, Data: []float32{1, 2}},
	}}
	err := f.Restore([]checkpoints.Tensor{{Name: "w", Shape: []int{1, 2}, Data: make([]float32, 2)}})
	fmt.Println(err)
	// Output:
	// checkpoints: restore from runs/x/last.otgen: 1 difference: "w" shape [2] in file, [1 2] in target
}
