package fetch

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"otgen/internal/progress"
)

// CelebA's layout, as package data reads it.
const (
	// CelebAImages is the folder of the aligned and cropped images.
	CelebAImages = "img_align_celeba"
	// CelebAAttrFile is the attribute table.
	CelebAAttrFile = "list_attr_celeba.txt"
	// CelebACount is the number of images of the official set.
	CelebACount = 202599
)

// What otgen knows of CelebA's contents.
var (
	// celebAFirst32 are the SHA-256s of the official 178x218 images
	// 000001.jpg to 000032.jpg (checked against their 2x smaller copies
	// in otgen's sample).
	celebAFirst32 = [32]string{
		"7b28818051dd0884d6c95f3d141a5506bd34f63a0553699b96dde2b30618e005",
		"d4de171783a778fad37e84551ac28b6a7bdac60037498721ce1e6594d2bd865a",
		"e03aa87302000db9e27da41409a0dd7f8399ee84e0cb611627b624830c6611bd",
		"18bcac17a73e2734d8050c47946bb33c796848ac9d90a57077988cd56c7fc47b",
		"43c70fb4fbe83b40d80a85b656cd712937380ca4bc9b1ed07ec76c25a4289146",
		"00a9ecc8793f41828e49b708ff81f1c4c4bd7cd9546526f0849ee54017eb76bc",
		"7f97cac22cec37b2c08349fb3f62f23aec9468bd35e03396089fb75c8009146a",
		"a723c8e0d9f59c49ec6918d35d1cf8887a0228758bf49d74de6372afa48321f8",
		"7782e7251ada89d193d80ea7ba820c776675d6838b359da2f752125cb1edbb56",
		"b0faa59f5d41eecd049ded183322f1d7c966a1a0c17374b0d671a1de103d1521",
		"c734415bcae82a597a64f9bcd896d3e4c29ea308b198c34054c903336494749a",
		"69baf3139d194507e1c3eb6685c283fc7b937cf4e0c52fb1dad1e03f578b3a84",
		"533fb428a82b81353d69a9f2428b02e4d11465e6402eb25dd073732adf6aae29",
		"513da6e77014e03a554bbe28fbc231e8121f14619da6f32e63360f0d4fea3676",
		"3ea6241d52248b8a1e7029275013c0b65a909e3131d77b001866a8d74dcd1389",
		"48f69a266b7800b927a0ebb7d70584392b326ad857ea1b4346c8f7569246c870",
		"0e9dc0b038b6479313ba9bf185ad62bbc5585bd860a0d8e993a584fe556bbd51",
		"cf1cf0710696009b963d47617541ef2daada6def8e3ca2b38211853d3b952de4",
		"ca39b9c1bad47ad2f628fcb15d2b7e781869f13c842627832606b1588d814e62",
		"55bf22674b2025a32e1734d79555d63707530cf1a4c6f8306cd38f4b7c5b750c",
		"8b4e94bc835d17a1ed88c6a46fd7a77047dc24530d47fda4b8904a5286268c1a",
		"ac5610a93e24f7926377da6cd83feb2aaef723706fcae2c5776639fd421e3139",
		"aed63ed08cc5c651d6d21f01e131ee06a4f19dc197dee417b751c86248c8c81b",
		"d2b46a25206c3f3a2f06d6a59bbd69e501b051e84672dcd91a939654d3b1aab7",
		"14c252d0dd51c6661d3ccd09a43e2bd04933578adb1b86201741fa5bb6dca8e8",
		"c9f4dd7604d8d39c27970fa3f1cd6703faba60772be3201d000a0b9c6a7ba1f9",
		"c3820fd36e4fd029e1d4ac86ef49c9f7e4f4ec37f47dc73fc4765c09606f8e23",
		"404f4c07ec9a44e2d772bde78985715106f60c3876ec12b3031d2ddb125089a5",
		"eadbb7f75432a2a2bd5db71bcfb4c4e12d46e7b1c5b9502b6fd03305bcafd4c9",
		"0511e666325fa7511e71ad28bd20094deb0eccb2c9bfcfc7ae97bf614bfcfdca",
		"26af6a2399bc4748c578d5b3cfedf28bcf4922ac3e50665ad1d44ead873b2305",
		"35789b720bbc61c82f8d6c05fb6544abfadf7264ae51a8c951afc2a13ec0ae66",
	}
	// otgen's test sample: the first 10,000 images at 89x109 and the
	// matching rows of the attribute table. celebASampleFirst is the
	// SHA-256 of its 000001.jpg, celebASampleAll that of its 10,000 files
	// concatenated in name order.
	celebASampleFirst = "0861cea32105bea976c967e2e9a7a3ee1157cd42ce4a2ea89f52b1739b394665"
	celebASampleAll   = "70c3c330393300032d185946d4463592107b0eb3ccc8d9260edf5a87d04feb63"
	celebASampleAttrs = "77f921f45a22daab0232a23ea143201ed1475007d25297f3f4e06f600b005f00"
	celebASampleCount = 10000
)

// celebAName matches an image file name of CelebA.
var celebAName = regexp.MustCompile(`^[0-9]{6}\.jpg$`)

// Largest entries accepted from an archive: a CelebA JPEG is about 10 kB,
// the attribute table 26 MB.
const (
	maxImageBytes = 16 << 20
	maxAttrBytes  = 128 << 20
)

// verifyCelebA checks a CelebA folder: the images and the attribute table.
func verifyCelebA(dir string) (*Report, error) {
	r := &Report{Dataset: "celeba", Dir: dir}
	img, err := verifyCelebAImages(filepath.Join(dir, CelebAImages))
	if err != nil {
		return nil, err
	}
	r.Files = append(r.Files, img, verifyCelebAAttrs(filepath.Join(dir, CelebAAttrFile)))
	return r, nil
}

// celebAImageNames returns the sorted CelebA image names in dir.
func celebAImageNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if celebAName.MatchString(e.Name()) && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

func verifyCelebAImages(dir string) (FileReport, error) {
	fr := FileReport{Name: CelebAImages + "/"}
	names, err := celebAImageNames(dir)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(names) == 0 {
		fr.State, fr.Detail = Missing, "no 000001.jpg-style images"
		return fr, nil
	}
	if err != nil {
		return fr, err
	}
	for _, n := range names {
		if err := checkJPEGEnds(filepath.Join(dir, n)); err != nil {
			fr.State, fr.Detail, fr.err = Bad, err.Error(), err
			return fr, nil
		}
	}
	first, err := sha256File(filepath.Join(dir, "000001.jpg"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fr, err
	}
	count := fmt.Sprintf("%d images", len(names))
	switch first {
	case celebAFirst32[0]:
		for i, want := range celebAFirst32 {
			n := fmt.Sprintf("%06d.jpg", i+1)
			got, err := sha256File(filepath.Join(dir, n))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			} else if err != nil {
				return fr, err
			}
			if got != want {
				fr.err = fmt.Errorf("%s: %w: SHA-256 %s, want %s", n, ErrChecksum, got, want)
				fr.State, fr.Detail = Bad, fr.err.Error()
				return fr, nil
			}
		}
		if len(names) == CelebACount {
			fr.State, fr.Detail = OK, fmt.Sprintf("the official 178x218 set, all %d images: 000001-000032 match their SHA-256, every file is a whole JPEG", CelebACount)
		} else {
			fr.State, fr.Detail = Unverified, fmt.Sprintf("%s of the official 178x218 set's %d: 000001-000032 match their SHA-256, every file is a whole JPEG", count, CelebACount)
		}
	case celebASampleFirst:
		h := sha256.New()
		for _, n := range names {
			f, err := os.Open(filepath.Join(dir, n))
			if err != nil {
				return fr, err
			}
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return fr, err
			}
		}
		if got := hex.EncodeToString(h.Sum(nil)); len(names) != celebASampleCount || got != celebASampleAll {
			fr.err = fmt.Errorf("%w: otgen's 89x109 sample should be %d images with SHA-256 %s in name order, these %d give %s", ErrChecksum, celebASampleCount, celebASampleAll, len(names), got)
			fr.State, fr.Detail = Bad, fr.err.Error()
			return fr, nil
		}
		fr.State, fr.Detail = OK, fmt.Sprintf("otgen's 89x109 sample of %d images (SHA-256 of all of them)", celebASampleCount)
	default:
		fr.State, fr.Detail = Unverified, count+", every one a whole JPEG; otgen knows no checksum for this version (000001.jpg is neither the official one nor the sample's)"
	}
	return fr, nil
}

func verifyCelebAAttrs(path string) FileReport {
	fr := FileReport{Name: CelebAAttrFile, Optional: true}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fr.State, fr.Detail = Missing, "not there (needed only to filter by attribute, --attr)"
		return fr
	case err != nil:
		fr.State, fr.Detail = Bad, err.Error()
		return fr
	}
	s := sha256.Sum256(b)
	m := md5.Sum(b)
	official, _ := Lookup("celeba")
	switch {
	case hex.EncodeToString(m[:]) == official.Files[1].MD5:
		fr.State, fr.Detail = OK, "the official table (MD5, the only published checksum)"
	case hex.EncodeToString(s[:]) == celebASampleAttrs:
		fr.State, fr.Detail = OK, "otgen's sample's table (SHA-256)"
	default:
		fr.State, fr.Detail = Unverified, "otgen knows no checksum for this version"
	}
	return fr
}

// checkJPEGEnds checks that a file starts and ends as a JPEG does (SOI
// FF D8, EOI FF D9): a truncated copy fails.
func checkJPEGEnds(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var head, tail [2]byte
	if _, err := io.ReadFull(f, head[:]); err != nil || head != [2]byte{0xff, 0xd8} {
		return fmt.Errorf("%s: %w: not a JPEG", filepath.Base(path), ErrChecksum)
	}
	if _, err := f.Seek(-2, io.SeekEnd); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if _, err := io.ReadFull(f, tail[:]); err != nil || tail != [2]byte{0xff, 0xd9} {
		return fmt.Errorf("%s: %w: JPEG is truncated (no end marker)", filepath.Base(path), ErrChecksum)
	}
	return nil
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// importCelebA takes CelebA from the archives and folders of o.From into
// dir: images from a zip (img_align_celeba.zip), from a folder holding
// img_align_celeba/ or the zip, or from a folder of NNNNNN.jpg files; the
// attribute table from a list_attr_celeba.txt file, in such a folder or
// in the zip. It then verifies what it took.
func importCelebA(ctx context.Context, dir string, o *Options) error {
	var images, attrs []string // sources: folders or zips, attribute files
	for _, src := range o.From {
		info, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("celeba: --from: %w", err)
		}
		switch {
		case info.IsDir():
			switch {
			case isDir(filepath.Join(src, CelebAImages)):
				images = append(images, filepath.Join(src, CelebAImages))
			case isFile(filepath.Join(src, "img_align_celeba.zip")):
				images = append(images, filepath.Join(src, "img_align_celeba.zip"))
			default:
				if names, _ := celebAImageNames(src); len(names) > 0 {
					images = append(images, src)
				}
			}
			if a := filepath.Join(src, CelebAAttrFile); isFile(a) {
				attrs = append(attrs, a)
			}
		case isZip(src):
			images = append(images, src)
		case filepath.Base(src) == CelebAAttrFile || strings.HasSuffix(src, ".txt"):
			attrs = append(attrs, src)
		default:
			return fmt.Errorf("celeba: --from %s: not a folder, a zip archive or %s", src, CelebAAttrFile)
		}
	}
	if len(images) == 0 && len(attrs) == 0 {
		return fmt.Errorf("celeba: --from %s: found no %s folder, img_align_celeba.zip, NNNNNN.jpg images or %s", strings.Join(o.From, ", "), CelebAImages, CelebAAttrFile)
	}
	if len(images) > 1 {
		return fmt.Errorf("celeba: --from: images in more than one place (%s): give one", strings.Join(images, ", "))
	}
	if len(images) == 1 {
		src := images[0]
		var err error
		if isZip(src) {
			err = unpackImages(ctx, src, dir, o)
		} else {
			err = copyImages(ctx, src, dir, o)
		}
		if err != nil {
			return err
		}
	}
	if len(attrs) > 0 {
		if err := copyFile(attrs[0], filepath.Join(dir, CelebAAttrFile)); err != nil {
			return fmt.Errorf("celeba: %w", err)
		}
	}
	r, err := verifyCelebA(dir)
	if err != nil {
		return fmt.Errorf("celeba: %w", err)
	}
	for _, f := range r.Files {
		o.logf("celeba: %s: %s: %s", f.Name, f.State, f.Detail)
	}
	return r.Err()
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

func isFile(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

func isZip(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [4]byte
	_, err = io.ReadFull(f, head[:])
	return err == nil && bytes.Equal(head[:], []byte("PK\x03\x04"))
}

// stageImages creates a hidden folder beside dir/img_align_celeba to
// fill, and returns it with the function that puts it in place (replacing
// an older folder) and the one that removes it after a failure.
func stageImages(dir string) (stage string, commit func() error, abort func(), err error) {
	stage, err = os.MkdirTemp(dir, "."+CelebAImages+".tmp-")
	if err != nil {
		return "", nil, nil, fmt.Errorf("celeba: %w", err)
	}
	final := filepath.Join(dir, CelebAImages)
	commit = func() error {
		if err := os.Chmod(stage, 0o755); err != nil {
			return fmt.Errorf("celeba: %w", err)
		}
		var old string
		if _, err := os.Stat(final); err == nil {
			old = stage + ".old"
			if err := os.Rename(final, old); err != nil {
				return fmt.Errorf("celeba: %w", err)
			}
		}
		if err := os.Rename(stage, final); err != nil {
			if old != "" {
				os.Rename(old, final)
			}
			return fmt.Errorf("celeba: %w", err)
		}
		if old != "" {
			os.RemoveAll(old)
		}
		return nil
	}
	abort = func() { os.RemoveAll(stage) }
	return stage, commit, abort, nil
}

// unpackImages extracts the CelebA images (entries named NNNNNN.jpg, in
// any folder of the archive) and a list_attr_celeba.txt entry of the zip
// at path into dir. Only the base names of entries are used, so no entry
// can land outside dir.
func unpackImages(ctx context.Context, path, dir string, o *Options) (err error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("celeba: %s: %w", path, err)
	}
	defer zr.Close()
	var entries []*zip.File
	var attr *zip.File
	for _, f := range zr.File {
		base := filepath.Base(filepath.FromSlash(f.Name))
		switch {
		case f.FileInfo().IsDir():
		case celebAName.MatchString(base):
			entries = append(entries, f)
		case base == CelebAAttrFile:
			attr = f
		}
	}
	if len(entries) == 0 {
		return fmt.Errorf("celeba: %s holds no NNNNNN.jpg images", path)
	}
	stage, commit, abort, err := stageImages(dir)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			abort()
		}
	}()
	bar := countBar(o, "unpack "+filepath.Base(path), len(entries))
	for i, f := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		dst := filepath.Join(stage, filepath.Base(filepath.FromSlash(f.Name)))
		if err := extract(f, dst, maxImageBytes); err != nil {
			return fmt.Errorf("celeba: %s: %w", path, err)
		}
		if bar != nil {
			bar.Set(i+1, "")
		}
	}
	if bar != nil {
		bar.Finish()
	}
	if attr != nil {
		tmp := filepath.Join(stage, CelebAAttrFile)
		if err := extract(attr, tmp, maxAttrBytes); err != nil {
			return fmt.Errorf("celeba: %s: %w", path, err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, CelebAAttrFile)); err != nil {
			return fmt.Errorf("celeba: %w", err)
		}
	}
	if err := checkStaged(stage, path); err != nil {
		return err
	}
	return commit()
}

// checkStaged verifies the images of a staged folder before it replaces
// dir/img_align_celeba: a bad import leaves the folder as it was.
func checkStaged(stage, src string) error {
	fr, err := verifyCelebAImages(stage)
	if err != nil {
		return fmt.Errorf("celeba: %w", err)
	}
	if fr.State == Bad {
		return fmt.Errorf("celeba: %s: %w", src, fr.err)
	}
	return nil
}

// extract writes one zip entry to dst, refusing more than limit bytes.
func extract(f *zip.File, dst string, limit int64) error {
	if f.UncompressedSize64 > uint64(limit) {
		return fmt.Errorf("%s: %d bytes, more than %d", f.Name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, io.LimitReader(rc, limit+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = fmt.Errorf("%s: more than %d bytes", f.Name, limit)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	return nil
}

// copyImages copies (hard-links when it can) the NNNNNN.jpg files of src
// into dir/img_align_celeba.
func copyImages(ctx context.Context, src, dir string, o *Options) (err error) {
	names, err := celebAImageNames(src)
	if err != nil {
		return fmt.Errorf("celeba: %w", err)
	}
	if len(names) == 0 {
		return fmt.Errorf("celeba: %s holds no NNNNNN.jpg images", src)
	}
	if abs1, _ := filepath.Abs(src); abs1 != "" {
		if abs2, _ := filepath.Abs(filepath.Join(dir, CelebAImages)); abs1 == abs2 {
			return nil // already in place
		}
	}
	stage, commit, abort, err := stageImages(dir)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			abort()
		}
	}()
	bar := countBar(o, "copy "+src, len(names))
	for i, n := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		from, to := filepath.Join(src, n), filepath.Join(stage, n)
		if os.Link(from, to) != nil {
			if err := copyFile(from, to); err != nil {
				return fmt.Errorf("celeba: %w", err)
			}
		}
		if bar != nil {
			bar.Set(i+1, "")
		}
	}
	if bar != nil {
		bar.Finish()
	}
	if err := checkStaged(stage, src); err != nil {
		return err
	}
	return commit()
}

// copyFile copies src to dst through a temporary file renamed into place.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = io.Copy(tmp, in)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return nil
}

// countBar returns a progress display of n items, or nil without a log.
func countBar(o *Options, label string, n int) *progress.Bar {
	if o.Log == nil {
		return nil
	}
	return progress.New(o.Log, o.TTY, label, n, &progress.Options{Unit: "files"})
}
