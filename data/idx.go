package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrIDX is wrapped by the errors of ReadIDX when the input is not a
// well-formed IDX file of a supported type. Errors for input that ends too
// early also wrap io.ErrUnexpectedEOF. Other errors of ReadIDX come from
// reading r or from decompressing it (gzip.ErrChecksum, gzip.ErrHeader,
// flate.CorruptInputError) and are wrapped as they are.
var ErrIDX = errors.New("data: malformed IDX")

// IDXUnsignedByte is the IDX element type code of unsigned bytes, the only
// type ReadIDX supports.
const IDXUnsignedByte = 0x08

// MaxIDXSize is the largest number of elements ReadIDX accepts, so that the
// data fits an int and a []byte on every platform.
const MaxIDXSize = 1<<31 - 1

// IDX is an array read from an IDX file, the format of the MNIST files
// (http://yann.lecun.com/exdb/mnist/): a magic number 0x00 0x00 type ndims,
// ndims big-endian uint32 dimensions, then the elements in row-major order.
type IDX struct {
	// Type is the element type code; ReadIDX returns only
	// IDXUnsignedByte.
	Type byte
	// Dims holds the dimensions, outermost first, e.g. [60000 28 28].
	Dims []int
	// Data holds the elements in row-major order; its length is the
	// product of Dims.
	Data []byte
}

// ReadIDX reads one IDX array of unsigned bytes from r, gzip-compressed
// (detected by the gzip magic 1f 8b) or raw. It reads r to its end: bytes
// after the array, or after the gzip stream, are an error, as are a wrong
// magic number, an element type other than unsigned byte, zero dimensions,
// more than MaxIDXSize elements, data shorter than the dimensions say and a
// corrupt gzip stream (whose error says "the gzip stream is corrupt" and
// wraps the decompressor's error). Memory grows with the bytes actually read, never with
// the dimensions alone, so a short input claiming a huge array is cheap to
// reject.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, truncated("gzip header", err)
		}
		return readGzipIDX(&gzipStream{r: zr})
	}
	return readIDX(src)
}

// gzipStream is a gzip reader that remembers its first error other than
// io.EOF and counts the bytes it decompressed.
type gzipStream struct {
	r   io.Reader
	n   int64
	err error
}

func (g *gzipStream) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.n += int64(n)
	if err != nil && err != io.EOF && g.err == nil {
		g.err = err
	}
	return n, err
}

// readGzipIDX reads an IDX array from a gzip stream. When the array is
// wrong because the stream is (corrupt deflate data, a wrong checksum,
// compressed data that ends early), the error says so, rather than
// describing the garbage that a damaged stream decompresses to: a stream
// that decompresses to more bytes than the dimensions say is read to its
// end (at most MaxIDXSize more bytes, without keeping them) to tell a
// damaged stream from a well-formed one holding extra data.
func readGzipIDX(g *gzipStream) (*IDX, error) {
	x, err := readIDX(g)
	if err == nil {
		return x, nil
	}
	var te trailingError
	if g.err == nil && errors.As(err, &te) {
		_, _ = io.Copy(io.Discard, io.LimitReader(g, MaxIDXSize))
	}
	switch {
	case g.err == nil || errors.Is(g.err, gzip.ErrHeader):
		// The stream is fine (ErrHeader: bytes after its end, which
		// readIDX reports as trailing data).
		return nil, err
	case errors.Is(g.err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("%w: the gzip stream is truncated or corrupt: its compressed data ends early (after %d decompressed bytes): %w", ErrIDX, g.n, io.ErrUnexpectedEOF)
	}
	return nil, fmt.Errorf("data: read IDX: the gzip stream is corrupt (after %d decompressed bytes): %w", g.n, g.err)
}

// trailingError reports bytes after the array; it wraps ErrIDX.
type trailingError string

func (e trailingError) Error() string { return string(e) }
func (e trailingError) Unwrap() error { return ErrIDX }

// readIDX reads a raw IDX array from r, which must end with it.
func readIDX(r io.Reader) (*IDX, error) {
	var head [4]byte
	if n, err := io.ReadFull(r, head[:]); err != nil {
		return nil, truncated(fmt.Sprintf("header ends after %d of 4 bytes", n), err)
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fmt.Errorf("%w: magic % x, want 00 00 %02x <ndims>: not an IDX file", ErrIDX, head, IDXUnsignedByte)
	}
	if head[2] != IDXUnsignedByte {
		return nil, fmt.Errorf("%w: element type 0x%02x (%s), only 0x%02x (unsigned byte) is supported", ErrIDX, head[2], idxTypeName(head[2]), IDXUnsignedByte)
	}
	ndims := int(head[3])
	if ndims == 0 {
		return nil, fmt.Errorf("%w: 0 dimensions", ErrIDX)
	}
	var dimBytes [4 * 255]byte
	if n, err := io.ReadFull(r, dimBytes[:4*ndims]); err != nil {
		return nil, truncated(fmt.Sprintf("dimensions end after %d of %d bytes", n, 4*ndims), err)
	}
	dims := make([]int, ndims)
	size := 1
	for i := range dims {
		d := binary.BigEndian.Uint32(dimBytes[4*i:])
		if d > MaxIDXSize {
			return nil, fmt.Errorf("%w: dimension %d is %d, more than %d", ErrIDX, i, d, MaxIDXSize)
		}
		dims[i] = int(d)
		if size != 0 && dims[i] > MaxIDXSize/size {
			return nil, fmt.Errorf("%w: dimensions %v: more than %d elements", ErrIDX, dimsPrefix(dimBytes[:4*ndims]), MaxIDXSize)
		}
		size *= dims[i]
	}
	data, err := readExactly(r, size)
	if err != nil {
		return nil, truncated(fmt.Sprintf("dimensions %v need %d data bytes, input has %d", dims, size, len(data)), err)
	}
	var extra [1]byte
	if n, err := io.ReadFull(r, extra[:]); n > 0 {
		return nil, trailingError(fmt.Sprintf("%v: trailing data after the %d data bytes of dimensions %v", ErrIDX, size, dims))
	} else if errors.Is(err, gzip.ErrHeader) {
		// A gzip reader reads on after a member, for the next one.
		return nil, fmt.Errorf("%w: trailing data after the gzip stream: %w", ErrIDX, err)
	} else if err != io.EOF {
		return nil, truncated(fmt.Sprintf("after the %d data bytes", size), err)
	}
	return &IDX{Type: head[2], Dims: dims, Data: data}, nil
}

// readExactly reads n bytes from r into a new slice. It grows the slice
// as bytes arrive, doubling up to n, so that a reader that ends early
// costs memory in proportion to what it held. It returns what it read and
// an error if r ends first.
func readExactly(r io.Reader, n int) ([]byte, error) {
	const first = 64 << 10
	buf := make([]byte, 0, min(n, first))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// truncated describes a read error: input that ends early wraps ErrIDX and
// io.ErrUnexpectedEOF, any other error (e.g. a corrupt gzip stream) is
// wrapped as it is.
func truncated(what string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: truncated: %s: %w", ErrIDX, what, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("data: read IDX: %s: %w", what, err)
}

// dimsPrefix decodes big-endian uint32 dimensions for an error message.
func dimsPrefix(b []byte) []uint32 {
	d := make([]uint32, len(b)/4)
	for i := range d {
		d[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return d
}

// idxTypeName names an IDX element type code.
func idxTypeName(t byte) string {
	switch t {
	case 0x08:
		return "unsigned byte"
	case 0x09:
		return "signed byte"
	case 0x0B:
		return "int16"
	case 0x0C:
		return "int32"
	case 0x0D:
		return "float32"
	case 0x0E:
		return "float64"
	}
	return "unknown type"
}
