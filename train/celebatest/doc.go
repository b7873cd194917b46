// Package celebatest holds the CelebA training-quality tests of package
// train: seven short trainings on real faces, apart from train's own tests
// so that each package keeps its own time budget under `go test ./...`.
// It has no API.
package celebatest
