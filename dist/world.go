//go:build !mpi

package dist

// MPI reports whether this build has the MPI transport (the mpi build tag).
const MPI = false

// World returns the communicator of all the job's processes. This build
// has no MPI transport (build with -tags mpi for it): the job is this
// process alone, one rank.
func World() (*Comm, error) {
	return newComm(single{})
}
