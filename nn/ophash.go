package nn

import (
	"hash"
	"hash/fnv"
)

// OpHash returns the FNV-1a hash of what op writes with WriteHash: the
// Hashcode of a custom Gorgonia op.
func OpHash(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
