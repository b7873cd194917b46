// Package checkpoints reads and writes otgen checkpoint files (NAME.otgen):
// a caller-defined JSON header and a list of named float32 tensors, sealed by
// a SHA-256 checksum.
//
// # Format
//
// A checkpoint file is, byte by byte:
//
//	offset        size  content
//	0             10    magic: the ASCII bytes "OTGEN-CKPT"
//	10            4     format version, uint32 little-endian; this package writes and reads 1
//	14            8     header length H, uint64 little-endian
//	22            H     header: UTF-8 JSON, one object with exactly two keys:
//	                      {"meta": <the caller's JSON value>,
//	                       "tensors": [{"name": "...", "shape": [d0, d1, ...]}, ...]}
//	22+H          4*N   tensor data: for each tensor of the header, in header order,
//	                    product(shape) float32 values, IEEE 754, little-endian, row-major;
//	                    N is the sum of those products (a tensor with shape [] is a
//	                    scalar and holds one value; a zero dimension means no values)
//	22+H+4*N      32    SHA-256 of every preceding byte (offsets 0 to 22+H+4*N-1)
//
// and nothing after the checksum. Tensor names are non-empty, valid UTF-8 and
// unique; dimensions are non-negative; every value is finite (no NaN or ±Inf).
//
// # Reading
//
// [Decode] and [Read] check every length against the bytes present and verify
// the checksum before they trust any byte of the header or the data. A bad
// file yields an error wrapping [ErrCorrupt] (truncated, altered bytes, wrong
// magic, bad header JSON, duplicate names, bad shapes, data length not matching
// the shapes, trailing bytes) or [ErrVersion] (a version other than 1), with a
// message that says what is wrong and, for [Read], names the file. Decoding
// never panics and allocates roughly no more than the size of its input.
//
// # Writing
//
// [Write] is atomic: it encodes into a temporary file in the destination's
// folder, syncs and closes it, renames it over the destination and syncs the
// folder. On any failure the temporary file is removed and a previous file at
// the destination is left as it was. Input that cannot be checkpointed (empty
// or duplicate names, data not matching its shape, non-finite values) is
// refused with an error wrapping [ErrInvalid] before anything is written.
// Write does not create folders: the caller creates the destination folder
// (for example with [os.MkdirAll]) and a missing one is reported as such.
//
// [File.Restore] copies the tensors of a file into caller-owned tensors by
// name and reports any difference between the two sets as [ErrMismatch].
package checkpoints
