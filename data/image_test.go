package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// pngChunk appends one PNG chunk (length, type, data, CRC) to b.
func pngChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// hugePNG returns a valid-looking PNG of a few dozen bytes whose header
// declares w x h RGB pixels; its one IDAT chunk holds a single row.
func hugePNG(t testing.TB, w, h uint32) []byte {
	t.Helper()
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB, no interlace
	b = pngChunk(b, "IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write([]byte{0}); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	b = pngChunk(b, "IDAT", z.Bytes())
	return pngChunk(b, "IEND", nil)
}

// hugeJPEG returns the start of a baseline JPEG whose frame header
// declares w x h pixels in three components, up to its first scan header
// (where a decoder allocates the image).
func hugeJPEG(w, h uint16) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xc0, 0, 17, 8}
	b = binary.BigEndian.AppendUint16(b, h)
	b = binary.BigEndian.AppendUint16(b, w)
	b = append(b, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1)
	b = append(b, 0xff, 0xda, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0)
	return append(b, 0xff, 0xd9)
}

// allocDuring returns the bytes allocated while f runs.
func allocDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestDecodeImage(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, dir, "red.png", solid(5, 3, red))
	writeJPEG(t, dir, "green.jpg", solid(4, 4, green))
	// The format comes from the content: a PNG named .jpg is read.
	writePNG(t, dir, "misnamed.jpg", solid(2, 2, blue))
	for name, size := range map[string]image.Point{"red.png": {5, 3}, "green.jpg": {4, 4}, "misnamed.jpg": {2, 2}} {
		img, err := DecodeImage(filepath.Join(dir, name), 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := img.Bounds().Size(); got != size {
			t.Errorf("%s: size %v, want %v", name, got, size)
		}
	}
	// A limit equal to the size is allowed, one pixel less is not.
	if _, err := DecodeImage(filepath.Join(dir, "red.png"), 15); err != nil {
		t.Errorf("limit 15 on a 5x3 image: %v", err)
	}
	if _, err := DecodeImage(filepath.Join(dir, "red.png"), 14); !errors.Is(err, ErrImageTooLarge) {
		t.Errorf("limit 14 on a 5x3 image: %v", err)
	}
}

// TestDecodeImageHuge decodes files of a few dozen bytes whose headers
// declare 10^10 and 4·10^9 pixels: each is refused from its header, in
// one line naming the file and its declared size, without allocating for
// the pixels. (Before DecodeImage, the image-folder reader gave them to
// png.Decode and jpeg.Decode, which allocate the declared size first.)
func TestDecodeImageHuge(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "huge.png", hugePNG(t, 100000, 100000))
	writeFile(t, dir, "huge.jpg", hugeJPEG(65535, 65535))
	for name, size := range map[string]string{"huge.png": "100000x100000", "huge.jpg": "65535x65535"} {
		path := filepath.Join(dir, name)
		var err error
		alloc := allocDuring(func() { _, err = DecodeImage(path, 0) })
		if !errors.Is(err, ErrImageTooLarge) {
			t.Fatalf("%s: error %v, want ErrImageTooLarge", name, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, path) || !strings.Contains(msg, size) || strings.Contains(msg, "\n") {
			t.Errorf("%s: message %q does not name the file and its size %s in one line", name, msg, size)
		}
		if alloc > 1<<20 {
			t.Errorf("%s: refusing it allocated %d bytes", name, alloc)
		}
		t.Log(msg)
	}
	if n := len(hugePNG(t, 100000, 100000)); n > 80 {
		t.Errorf("the huge PNG has %d bytes", n)
	}
}

func TestDecodeImageErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "text.png", []byte("hello"))
	writeFile(t, dir, "empty.jpg", nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, solid(64, 64, green), nil); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "cut.jpg", buf.Bytes()[:buf.Len()/2])
	sub := filepath.Join(dir, "folder.png")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, substr string
		is           error
	}{
		{"missing.png", "no such file", fs.ErrNotExist},
		{"text.png", "not a JPEG or PNG image", nil},
		{"empty.jpg", "empty file", nil},
		{"cut.jpg", "EOF", nil},
		{"folder.png", "is a directory", nil},
	}
	for _, c := range cases {
		path := filepath.Join(dir, c.name)
		_, err := DecodeImage(path, 0)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "data: image "+path+": ") || !strings.Contains(msg, c.substr) ||
			strings.Count(msg, path) != 1 || strings.Contains(msg, "\n") {
			t.Errorf("%s: message %q, want one line naming the file once and saying %q", c.name, msg, c.substr)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: error %v does not wrap %v", c.name, err, c.is)
		}
	}
}

// TestImageFolderHugeImage puts a 69-byte PNG declaring 100000x100000
// pixels into an image folder and a CelebA folder. Before the header
// check, opening them died with "fatal error: runtime: out of memory";
// now it is a *CorruptImageError naming the file and its size, or a
// skipped file with OnCorruptSkip.
func TestImageFolderHugeImage(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, dir, "a.png", solid(8, 8, red))
	writeFile(t, dir, "b_huge.png", hugePNG(t, 100000, 100000))
	_, err := OpenImageFolder(dir, ImageOptions{Size: 4})
	var ce *CorruptImageError
	if !errors.As(err, &ce) || !errors.Is(err, ErrImageTooLarge) || filepath.Base(ce.Path) != "b_huge.png" {
		t.Fatalf("image folder: error %v, want a *CorruptImageError for b_huge.png wrapping ErrImageTooLarge", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "100000x100000") || strings.Contains(msg, "corrupt image") {
		t.Errorf("image folder: message %q", msg)
	} else {
		t.Log(msg)
	}
	var warn bytes.Buffer
	m, err := OpenImageFolder(dir, ImageOptions{Size: 4, OnCorrupt: OnCorruptSkip, Warn: &warn})
	if err != nil || m.Len() != 1 || len(m.Skipped()) != 1 || !strings.Contains(warn.String(), "b_huge.png") {
		t.Errorf("skip: %v, warnings %q", err, warn.String())
	}
	// The limit can be lowered (and raised) per dataset.
	if _, err := OpenImageFolder(dir, ImageOptions{Size: 4, MaxPixels: 63, OnCorrupt: OnCorruptSkip, Warn: io.Discard}); !errors.Is(err, ErrNoImages) {
		t.Errorf("MaxPixels 63 with an 8x8 image: %v", err)
	}
	if _, err := OpenImageFolder(dir, ImageOptions{MaxPixels: -1}); err == nil {
		t.Error("negative MaxPixels accepted")
	}

	celeba := fakeCelebA(t)
	writeFile(t, filepath.Join(celeba, CelebAImages), "000000.png", hugePNG(t, 100000, 100000))
	_, err = OpenCelebA(celeba, CelebAOptions{})
	if !errors.Is(err, ErrImageTooLarge) || !strings.Contains(err.Error(), "000000.png") {
		t.Errorf("celeba: error %v", err)
	}
}

// FuzzImageFolder writes the fuzzed bytes as the one image of a folder,
// under a PNG and a JPEG name, and opens it: OpenImageFolder must never
// panic or allocate for an image over its pixel limit, must fail only
// with a *CorruptImageError naming the file, and an image it accepts
// must have pixels in range.
func FuzzImageFolder(f *testing.F) {
	var pngb, jpg bytes.Buffer
	if err := png.Encode(&pngb, solid(3, 5, red)); err != nil {
		f.Fatal(err)
	}
	if err := jpeg.Encode(&jpg, solid(9, 7, green), nil); err != nil {
		f.Fatal(err)
	}
	f.Add(pngb.Bytes())
	f.Add(jpg.Bytes())
	f.Add(pngb.Bytes()[:pngb.Len()/2])
	f.Add(jpg.Bytes()[:jpg.Len()/2])
	f.Add(hugePNG(f, 100000, 100000))
	f.Add(hugePNG(f, 1, 1<<30))
	f.Add(hugeJPEG(65535, 65535))
	f.Add([]byte("GIF89a"))
	f.Add([]byte{})
	const limit = 1 << 16
	f.Fuzz(func(t *testing.T, in []byte) {
		dir := t.TempDir()
		for _, name := range []string{"x.png", "x.jpg"} {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, in, 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := OpenImageFolder(dir, ImageOptions{Size: 4, Workers: 1, MaxPixels: limit})
			os.Remove(path)
			if err != nil {
				var ce *CorruptImageError
				if !errors.As(err, &ce) || ce.Path != path || strings.Contains(err.Error(), "\n") {
					t.Fatalf("%s: error %q is not one line about the file", name, err)
				}
				continue
			}
			cfg, _, cerr := image.DecodeConfig(bytes.NewReader(in))
			if cerr != nil || cfg.Width*cfg.Height > limit || cfg.Width*cfg.Height == 0 {
				t.Fatalf("%s: accepted an image with header %+v (%v)", name, cfg, cerr)
			}
			if m.Len() != 1 {
				t.Fatalf("%s: %d images", name, m.Len())
			}
			for _, v := range example(m, 0) {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("%s: pixel %v out of [0, 1]", name, v)
				}
			}
		}
	})
}
