//go:build openblas

package mpitest

// The test binary was built with openblas: so are the MPI binaries.
const extraTags = ",openblas"
