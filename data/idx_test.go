package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// encodeIDX returns the raw IDX encoding of an array with the given
// element type, dimensions and data (not checked against each other).
func encodeIDX(typ byte, dims []uint32, data []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

// gzipBytes compresses b.
func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// iota8 returns 0, 1, ..., n-1 as bytes (mod 256).
func iota8(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func TestReadIDXRoundTrip(t *testing.T) {
	cases := []struct {
		dims []uint32
	}{
		{[]uint32{5}},
		{[]uint32{3, 4}},
		{[]uint32{2, 28, 28}},
		{[]uint32{0, 28, 28}}, // empty array
		{[]uint32{1, 1, 1, 1, 1, 1, 1, 1}},
		{[]uint32{70000}}, // more than readExactly's first chunk
	}
	for _, c := range cases {
		size := 1
		for _, d := range c.dims {
			size *= int(d)
		}
		want := iota8(size)
		raw := encodeIDX(IDXUnsignedByte, c.dims, want)
		for _, enc := range []struct {
			name string
			b    []byte
		}{{"raw", raw}, {"gzip", gzipBytes(t, raw)}} {
			// OneByteReader exercises short reads.
			for _, r := range []io.Reader{bytes.NewReader(enc.b), iotest.OneByteReader(bytes.NewReader(enc.b))} {
				x, err := ReadIDX(r)
				if err != nil {
					t.Fatalf("%s %v: %v", enc.name, c.dims, err)
				}
				if x.Type != IDXUnsignedByte {
					t.Errorf("%s %v: Type = %#x", enc.name, c.dims, x.Type)
				}
				if len(x.Dims) != len(c.dims) {
					t.Fatalf("%s %v: Dims = %v", enc.name, c.dims, x.Dims)
				}
				for i, d := range c.dims {
					if x.Dims[i] != int(d) {
						t.Errorf("%s %v: Dims = %v", enc.name, c.dims, x.Dims)
					}
				}
				if !bytes.Equal(x.Data, want) || len(x.Data) != size {
					t.Errorf("%s %v: data differs", enc.name, c.dims)
				}
			}
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	good := encodeIDX(IDXUnsignedByte, []uint32{2, 3}, iota8(6))
	cases := []struct {
		name   string
		in     []byte
		substr string // in the message
		eof    bool   // wraps io.ErrUnexpectedEOF
	}{
		{"empty", nil, "truncated", true},
		{"short header", good[:3], "truncated", true},
		{"short dims", good[:9], "truncated", true},
		{"short data", good[:len(good)-1], "truncated", true},
		{"no data", good[:12], "truncated", true},
		{"wrong magic", append([]byte{1, 0}, good[2:]...), "not an IDX file", false},
		{"text", []byte("hello world, this is not IDX"), "not an IDX file", false},
		{"float type", encodeIDX(0x0D, []uint32{2}, make([]byte, 8)), "float32", false},
		{"unknown type", encodeIDX(0x42, []uint32{2}, make([]byte, 2)), "0x42", false},
		{"zero dims", []byte{0, 0, 8, 0}, "0 dimensions", false},
		{"trailing byte", append(slices.Clone(good), 0), "trailing", false},
		{"huge dim", encodeIDX(IDXUnsignedByte, []uint32{0xffffffff}, nil), "more than", false},
		{"huge product", encodeIDX(IDXUnsignedByte, []uint32{60000, 60000, 28, 28}, nil), "more than", false},
		{"big claim, little data", encodeIDX(IDXUnsignedByte, []uint32{1 << 30}, []byte{1, 2, 3}), "truncated", true},
	}
	for _, c := range cases {
		for _, enc := range []string{"raw", "gzip"} {
			in := c.in
			if enc == "gzip" {
				in = gzipBytes(t, c.in)
			}
			x, err := ReadIDX(bytes.NewReader(in))
			if err == nil {
				t.Errorf("%s, %s: no error, got %+v", c.name, enc, x)
				continue
			}
			t.Logf("%s, %s: %v", c.name, enc, err)
			if x != nil {
				t.Errorf("%s, %s: non-nil result with error", c.name, enc)
			}
			if !errors.Is(err, ErrIDX) {
				t.Errorf("%s, %s: error %q does not wrap ErrIDX", c.name, enc, err)
			}
			if !strings.Contains(err.Error(), c.substr) {
				t.Errorf("%s, %s: error %q does not say %q", c.name, enc, err, c.substr)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) != c.eof {
				t.Errorf("%s, %s: error %q: wraps io.ErrUnexpectedEOF = %v, want %v", c.name, enc, err, !c.eof, c.eof)
			}
		}
	}
}

func TestReadIDXGzipErrors(t *testing.T) {
	good := gzipBytes(t, encodeIDX(IDXUnsignedByte, []uint32{4, 4}, iota8(16)))
	badCRC := slices.Clone(good)
	badCRC[len(badCRC)-8] ^= 0xff // CRC-32 of the trailer
	badSize := slices.Clone(good)
	badSize[len(badSize)-1] ^= 0x01 // ISIZE of the trailer
	cases := map[string][]byte{
		"truncated stream":  good[:len(good)/2],
		"truncated trailer": good[:len(good)-3],
		"truncated header":  good[:5],
		"bad crc":           badCRC,
		"bad size":          badSize,
		"garbage after":     append(slices.Clone(good), "garbage!!!!!"...),
		"corrupt deflate":   append(slices.Clone(good[:10]), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	}
	for name, in := range cases {
		if x, err := ReadIDX(bytes.NewReader(in)); err == nil {
			t.Errorf("%s: no error, got %+v", name, x)
		} else if !strings.HasPrefix(err.Error(), "data: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	// Two concatenated gzip members are one valid gzip stream.
	raw := encodeIDX(IDXUnsignedByte, []uint32{4, 4}, iota8(16))
	two := append(gzipBytes(t, raw[:7]), gzipBytes(t, raw[7:])...)
	if _, err := ReadIDX(bytes.NewReader(two)); err != nil {
		t.Errorf("multi-member gzip: %v", err)
	}
}

func TestReadIDXReaderError(t *testing.T) {
	boom := errors.New("boom")
	good := encodeIDX(IDXUnsignedByte, []uint32{100}, iota8(100))
	r := io.MultiReader(bytes.NewReader(good[:50]), iotest.ErrReader(boom))
	if _, err := ReadIDX(r); !errors.Is(err, boom) {
		t.Errorf("error %v does not wrap the reader's error", err)
	}
}

// FuzzReadIDX checks that ReadIDX never panics, and that whatever it
// accepts is consistent and re-encodes to the same raw bytes.
func FuzzReadIDX(f *testing.F) {
	raw := encodeIDX(IDXUnsignedByte, []uint32{2, 3}, iota8(6))
	f.Add(raw)
	f.Add(gzipBytes(f, raw))
	f.Add(raw[:7])
	f.Add(encodeIDX(IDXUnsignedByte, []uint32{1 << 30, 1 << 30}, nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := ReadIDX(bytes.NewReader(in))
		if err != nil {
			if x != nil {
				t.Fatal("non-nil result with an error")
			}
			return
		}
		if x.Type != IDXUnsignedByte || len(x.Dims) == 0 || len(x.Dims) > 255 {
			t.Fatalf("accepted type %#x with dims %v", x.Type, x.Dims)
		}
		size := 1
		dims := make([]uint32, len(x.Dims))
		for i, d := range x.Dims {
			if d < 0 || d > MaxIDXSize {
				t.Fatalf("accepted dims %v", x.Dims)
			}
			size *= d
			dims[i] = uint32(d)
		}
		if size != len(x.Data) || size > MaxIDXSize {
			t.Fatalf("dims %v with %d data bytes", x.Dims, len(x.Data))
		}
		enc := encodeIDX(x.Type, dims, x.Data)
		if len(in) >= 2 && in[0] == 0x1f && in[1] == 0x8b {
			// Compressed: the re-encoding must read back the same.
			y, err := ReadIDX(bytes.NewReader(enc))
			if err != nil || !slices.Equal(y.Dims, x.Dims) || !bytes.Equal(y.Data, x.Data) {
				t.Fatalf("re-encoding of an accepted gzip input does not read back: %v", err)
			}
			return
		}
		if !bytes.Equal(enc, in) {
			t.Fatal("accepted raw input differs from its re-encoding")
		}
	})
}

// TestReadIDXMemoryBound checks that a short input claiming a huge array
// is rejected without allocating for the claim.
func TestReadIDXMemoryBound(t *testing.T) {
	claim := encodeIDX(IDXUnsignedByte, []uint32{1<<31 - 1}, iota8(100))
	for _, in := range [][]byte{claim, gzipBytes(t, claim)} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := ReadIDX(bytes.NewReader(in))
		runtime.ReadMemStats(&after)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("error %v, want a truncation", err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("rejecting a %d-byte input claiming 2 GiB allocated %d bytes", len(in), alloc)
		}
	}
}
