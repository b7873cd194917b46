package fetch

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifyCelebASample(t *testing.T) {
	dir := filepath.Join(sharedData(t), "celeba")
	r, err := Verify("celeba", dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Err() != nil || len(r.Files) != 2 {
		t.Fatalf("report %+v", r)
	}
	for _, f := range r.Files {
		if f.State != OK {
			t.Errorf("%s: %s %s", f.Name, f.State, f.Detail)
		}
	}
	if !strings.Contains(r.Files[0].Detail, "sample of 10000 images") {
		t.Errorf("images: %s", r.Files[0].Detail)
	}
}

func TestImportCelebAFolder(t *testing.T) {
	src := filepath.Join(sharedData(t), "celeba")
	dir := t.TempDir()
	if _, err := Fetch(context.Background(), "celeba", dir, &Options{From: []string{src}}); err != nil {
		t.Fatal(err)
	}
	names, _ := celebAImageNames(filepath.Join(dir, CelebAImages))
	if len(names) != celebASampleCount {
		t.Errorf("%d images imported", len(names))
	}
	if _, err := os.Stat(filepath.Join(dir, CelebAAttrFile)); err != nil {
		t.Error(err)
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
	// Ensure finds it there without --from.
	if got, err := Ensure(context.Background(), "celeba", dir, nil); err != nil || got != dir {
		t.Errorf("Ensure: %s %v", got, err)
	}
}

// zipOf writes a zip at path with the given entries (name -> file to copy).
func zipOf(t *testing.T, path string, entries [][2]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, e := range entries {
		w, err := zw.Create(e[0])
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(e[1])
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestImportCelebAZip(t *testing.T) {
	full := filepath.Join(sharedData(t), "celeba", "img_align_celeba_178x218")
	names, err := celebAImageNames(full)
	if err != nil || len(names) != 32 {
		t.Fatalf("%d full-size images: %v", len(names), err)
	}
	tmp := t.TempDir()
	var entries [][2]string
	for _, n := range names {
		entries = append(entries, [2]string{"img_align_celeba/" + n, filepath.Join(full, n)})
	}
	// An entry that tries to climb out lands inside, by its base name;
	// other files are ignored.
	entries = append(entries, [2]string{"../../../../000099.jpg", filepath.Join(full, names[0])}, [2]string{"README.txt", filepath.Join(full, names[1])})
	zipPath := filepath.Join(tmp, "img_align_celeba.zip")
	zipOf(t, zipPath, entries)
	dir := filepath.Join(tmp, "celeba")
	_, err = Fetch(context.Background(), "celeba", dir, &Options{From: []string{zipPath}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := Verify("celeba", dir)
	if r.Files[0].State != Unverified || !strings.Contains(r.Files[0].Detail, "33 images of the official 178x218 set") {
		t.Errorf("images: %s %s", r.Files[0].State, r.Files[0].Detail)
	}
	if r.Files[1].State != Missing || r.Err() != nil {
		t.Errorf("a missing attribute file: %s, Err %v", r.Files[1].State, r.Err())
	}
	if _, err := os.Stat(filepath.Join(tmp, "000099.jpg")); err == nil {
		t.Errorf("an entry escaped the dataset folder")
	}

	// A changed image among the 32 known ones is caught.
	bad := filepath.Join(tmp, "bad.zip")
	changed := filepath.Join(tmp, "000005.jpg")
	b, _ := os.ReadFile(filepath.Join(full, "000005.jpg"))
	b[len(b)/2] ^= 0x40
	os.WriteFile(changed, b, 0o644)
	entries[4][1] = changed
	zipOf(t, bad, entries)
	_, err = Fetch(context.Background(), "celeba", dir, &Options{From: []string{bad}})
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "000005.jpg") {
		t.Errorf("changed image: %v", err)
	}
	// A truncated JPEG is caught by its missing end marker.
	os.WriteFile(changed, b[:len(b)/2], 0o644)
	entries[4][1] = changed
	entries[4][0] = "img_align_celeba/000100.jpg"
	zipOf(t, bad, entries)
	_, err = Fetch(context.Background(), "celeba", dir, &Options{From: []string{bad}})
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "000100.jpg: checksum mismatch: JPEG is truncated") {
		t.Errorf("truncated image: %v", err)
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
	// The bad imports left the good folder as it was.
	if r, _ := Verify("celeba", dir); r.Files[0].State != Unverified || !strings.Contains(r.Files[0].Detail, "33 images") {
		t.Errorf("after bad imports: %s %s", r.Files[0].State, r.Files[0].Detail)
	}
}

func TestImportCelebABadSource(t *testing.T) {
	dir := t.TempDir()
	empty := t.TempDir()
	_, err := Fetch(context.Background(), "celeba", dir, &Options{From: []string{empty}})
	if err == nil || !strings.Contains(err.Error(), "found no img_align_celeba folder") {
		t.Errorf("empty folder: %v", err)
	}
	_, err = Fetch(context.Background(), "mnist", dir, &Options{From: []string{empty}})
	if err == nil || !strings.Contains(err.Error(), "mnist: train-images-idx3-ubyte.gz is in none of "+empty) {
		t.Errorf("mnist --from: %v", err)
	}
}
