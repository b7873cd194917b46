package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"otgen/data"
)

// sharedData returns $OTGEN_DATA or skips.
func sharedData(t testing.TB) string {
	t.Helper()
	root := os.Getenv(DataEnv)
	if root == "" {
		t.Skip("OTGEN_DATA not set: these tests serve the real MNIST files of the shared data folder")
	}
	return root
}

// readDataset reads the files of a dataset folder into a map by name.
func readDataset(t testing.TB, dir string, d Dataset) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, f := range d.Files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = b
	}
	return files
}

// mirror is a local test server for a set of files. Each request goes
// through behave (nil: serve the file with Range support and an ETag).
type mirror struct {
	*httptest.Server
	mu     sync.Mutex
	files  map[string][]byte
	log    []string // "name range" of every request
	behave func(w http.ResponseWriter, r *http.Request, name string, b []byte) bool
}

func newMirror(t testing.TB, files map[string][]byte) *mirror {
	m := &mirror{files: files}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		m.mu.Lock()
		m.log = append(m.log, name+" "+r.Header.Get("Range"))
		behave := m.behave
		m.mu.Unlock()
		b, ok := m.files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if behave != nil && behave(w, r, name, b) {
			return
		}
		serve(w, r, b)
	}))
	t.Cleanup(m.Close)
	return m
}

// serve answers with b, honouring Range and If-Range.
func serve(w http.ResponseWriter, r *http.Request, b []byte) {
	w.Header().Set("ETag", fmt.Sprintf(`"%d-%x"`, len(b), b[len(b)/2]))
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

func (m *mirror) requests() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.log...)
}

func (m *mirror) setBehave(f func(w http.ResponseWriter, r *http.Request, name string, b []byte) bool) {
	m.mu.Lock()
	m.behave = f
	m.mu.Unlock()
}

// leftovers lists the hidden partial files in dir.
func leftovers(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var l []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			l = append(l, e.Name())
		}
	}
	return l
}

func mnistMirror(t *testing.T) (*mirror, Dataset) {
	d, _ := Lookup("mnist")
	return newMirror(t, readDataset(t, filepath.Join(sharedData(t), "mnist"), d)), d
}

func TestDirPrecedence(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv(DataEnv, "")
	if got, _ := Dir("mnist", ""); got != filepath.Join(cache, "otgen", "data", "mnist") {
		t.Errorf("no env, no folder: %s", got)
	}
	t.Setenv(DataEnv, "/data")
	if got, _ := Dir("fashion-mnist", ""); got != "/data/fashion-mnist" {
		t.Errorf("OTGEN_DATA: %s", got)
	}
	if got, _ := Dir("mnist", "/mine"); got != "/mine" {
		t.Errorf("explicit folder: %s", got)
	}
	if _, err := Dir("cifar", ""); !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "fashion-mnist") {
		t.Errorf("unknown dataset: %v", err)
	}
}

func TestFetchMNISTTriesMirrorsInOrder(t *testing.T) {
	good, d := mnistMirror(t)
	dead := newMirror(t, nil) // 404 for everything
	dir := filepath.Join(t.TempDir(), "mnist")
	var log bytes.Buffer
	o := &Options{Mirrors: []string{dead.URL, good.URL + "/{file}"}, Log: &log}
	if _, err := Fetch(context.Background(), "mnist", dir, o); err != nil {
		t.Fatal(err)
	}
	r, err := Verify("mnist", dir)
	if err != nil || r.Err() != nil {
		t.Fatalf("verify after fetch: %v %v", err, r.Err())
	}
	for _, f := range r.Files {
		if f.State != OK {
			t.Errorf("%s: %s", f.Name, f.State)
		}
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
	if n := len(dead.requests()); n != len(d.Files) {
		t.Errorf("the dead mirror got %d requests, want one per file (%d)", n, len(d.Files))
	}
	if !strings.Contains(log.String(), "404") {
		t.Errorf("the log does not say the first mirror failed:\n%s", log.String())
	}
	// Downloaded files are the served bytes.
	for name, b := range good.files {
		got, _ := os.ReadFile(filepath.Join(dir, name))
		if !bytes.Equal(got, b) {
			t.Errorf("%s differs from what was served", name)
		}
	}
	// A second fetch finds everything right and asks no mirror.
	before := len(good.requests())
	if _, err := Fetch(context.Background(), "mnist", dir, o); err != nil {
		t.Fatal(err)
	}
	if n := len(good.requests()) - before; n != 0 {
		t.Errorf("second fetch made %d requests", n)
	}
}

func TestEnsureUsesOTGENDATAAndDownloadsOnce(t *testing.T) {
	good, _ := mnistMirror(t)
	root := t.TempDir()
	t.Setenv(DataEnv, root)
	o := &Options{Mirrors: []string{good.URL}}
	dir, err := Ensure(context.Background(), "mnist", "", o)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(root, "mnist") {
		t.Errorf("Ensure put mnist in %s", dir)
	}
	n := len(good.requests())
	if n != 4 {
		t.Errorf("%d requests for 4 files", n)
	}
	if _, err := Ensure(context.Background(), "mnist", "", o); err != nil {
		t.Fatal(err)
	}
	if len(good.requests()) != n {
		t.Errorf("Ensure downloaded again a dataset that was there")
	}
	if !Present("mnist", dir) || Present("fashion-mnist", dir+"-nothing") {
		t.Errorf("Present is wrong")
	}
}

// fashionDebianDir is where Debian's dataset-fashion-mnist puts the files.
const fashionDebianDir = "/usr/share/datasets/fashion-mnist"

func TestFetchFashionMNISTFromRecompressedFiles(t *testing.T) {
	if _, err := os.Stat(fashionDebianDir); err != nil {
		t.Skip("dataset-fashion-mnist not installed (apt-get install dataset-fashion-mnist): " + err.Error())
	}
	d, _ := Lookup("fashion-mnist")
	srv := newMirror(t, readDataset(t, fashionDebianDir, d))
	dir := t.TempDir()
	_, err := Fetch(context.Background(), "fashion-mnist", dir, &Options{Mirrors: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	// Debian's .gz bytes differ from upstream's, the payload does not:
	// the fetched folder verifies as Fashion-MNIST and not as MNIST.
	r, err := Identify(dir)
	if err != nil || r.Dataset != "fashion-mnist" || r.Err() != nil {
		t.Fatalf("identify: %v %+v", err, r)
	}
	if r, _ := Verify("mnist", dir); r.Err() == nil || !errors.Is(r.Err(), ErrChecksum) {
		t.Errorf("Fashion-MNIST verifies as MNIST: %v", r.Err())
	}
	// --from the package's folder: the same, without a server.
	dir2 := t.TempDir()
	if _, err := Fetch(context.Background(), "fashion-mnist", dir2, &Options{From: []string{t.TempDir(), fashionDebianDir}}); err != nil {
		t.Fatal(err)
	}
	if r, err := Verify("fashion-mnist", dir2); err != nil || r.Err() != nil {
		t.Errorf("after --from: %v %v", err, r.Err())
	}
	// MNIST's files are not Fashion-MNIST's: refused, nothing left.
	dir3 := t.TempDir()
	_, err = Fetch(context.Background(), "fashion-mnist", dir3, &Options{From: []string{filepath.Join(sharedData(t), "mnist")}})
	if !errors.Is(err, ErrChecksum) {
		t.Errorf("MNIST as Fashion-MNIST: %v", err)
	}
	if ents, _ := os.ReadDir(dir3); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

func TestHTMLPageIsRefused(t *testing.T) {
	quota := newMirror(t, map[string][]byte{"t10k-labels-idx1-ubyte.gz": nil})
	quota.setBehave(func(w http.ResponseWriter, r *http.Request, name string, b []byte) bool {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!DOCTYPE html><html><head><title>Google Drive - Quota exceeded</title></head><body>Too many users</body></html>")
		return true
	})
	// A page served as octet-stream is caught by its contents.
	sneaky := newMirror(t, map[string][]byte{"t10k-labels-idx1-ubyte.gz": []byte("\n  <html><body>Not Found</body></html>")})
	d, _ := Lookup("mnist")
	dir := t.TempDir()
	err := download(context.Background(), d, d.Files[3], dir, &Options{Mirrors: []string{quota.URL, sneaky.URL}})
	if !errors.Is(err, ErrMirror) {
		t.Fatalf("error %v", err)
	}
	msg := err.Error()
	for _, want := range []string{`HTML page "Google Drive - Quota exceeded"`, sneaky.URL + "/t10k-labels-idx1-ubyte.gz answered with an HTML page", "no mirror delivered it"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left: %v", ents)
	}
}

func TestCelebAQuotaSaysWhatToDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><head><title>Google Drive - Virus scan warning</title></head></html>")
	}))
	defer srv.Close()
	_, err := Fetch(context.Background(), "celeba", t.TempDir(), &Options{Mirrors: []string{srv.URL + "/uc?id={id}"}})
	if err == nil || !strings.Contains(err.Error(), "fetch celeba --from PATH") || !strings.Contains(err.Error(), "id=0B7EVK8r0v71pZjFTYXZWM3FlRnM") {
		t.Fatalf("error %v", err)
	}
}

// truncating serves the first cut bytes of the file while declaring its
// whole length, then drops the connection.
func truncating(cut int) func(w http.ResponseWriter, r *http.Request, name string, b []byte) bool {
	return func(w http.ResponseWriter, r *http.Request, name string, b []byte) bool {
		if r.Header.Get("Range") != "" {
			return false
		}
		w.Header().Set("ETag", fmt.Sprintf(`"%d-%x"`, len(b), b[len(b)/2]))
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.WriteHeader(http.StatusOK)
		w.Write(b[:cut])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // close the connection mid-body
	}
}

func TestTruncatedBodyResumes(t *testing.T) {
	srv, d := mnistMirror(t)
	f := d.Files[2] // t10k-images, 1.6 MB
	size := len(srv.files[f.Name])
	cut := size * 2 / 5
	srv.setBehave(truncating(cut))
	dir := t.TempDir()
	// One call: the first answer ends early, the resume brings the rest.
	if err := download(context.Background(), d, f, dir, &Options{Mirrors: []string{srv.URL}}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	want := []string{f.Name + " ", fmt.Sprintf("%s bytes=%d-", f.Name, cut)}
	if fmt.Sprint(reqs) != fmt.Sprint(want) {
		t.Errorf("requests %q, want %q", reqs, want)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, f.Name)); !bytes.Equal(got, srv.files[f.Name]) {
		t.Errorf("resumed file differs")
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}

func TestTruncatedEveryTimeKeepsPartialForNextRun(t *testing.T) {
	srv, d := mnistMirror(t)
	f := d.Files[2]
	size := len(srv.files[f.Name])
	cut := size / 3
	// Every answer, ranged or not, stops at byte cut of the file (the
	// ranged ones give nothing new): the download cannot finish.
	srv.setBehave(func(w http.ResponseWriter, r *http.Request, name string, b []byte) bool {
		if r.Header.Get("Range") != "" {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", cut, size-1, size))
			w.Header().Set("Content-Length", fmt.Sprint(size-cut))
			w.WriteHeader(http.StatusPartialContent)
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
		return truncating(cut)(w, r, name, b)
	})
	dir := t.TempDir()
	o := &Options{Mirrors: []string{srv.URL}}
	err := download(context.Background(), d, f, dir, o)
	if !errors.Is(err, ErrMirror) || !strings.Contains(err.Error(), fmt.Sprintf("body ended after %d of %d bytes", cut, size)) {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, f.Name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file under the final name: %v", err)
	}
	if st, err := os.Stat(filepath.Join(dir, "."+f.Name+".part")); err != nil || st.Size() != int64(cut) {
		t.Fatalf("partial file: %v %v", st, err)
	}
	// The next run, against a mirror that works, asks only for the rest.
	srv.setBehave(nil)
	n := len(srv.requests())
	if err := download(context.Background(), d, f, dir, o); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests()[n:]; len(got) != 1 || got[0] != fmt.Sprintf("%s bytes=%d-", f.Name, cut) {
		t.Errorf("next run's requests %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, f.Name)); !bytes.Equal(got, srv.files[f.Name]) {
		t.Errorf("resumed file differs")
	}
}

func TestChangedFileRestarts(t *testing.T) {
	srv, d := mnistMirror(t)
	f := d.Files[2]
	dir := t.TempDir()
	p := pathsOf(dir, f.Name)
	// A partial file from an older version of the resource (other ETag).
	if err := os.WriteFile(p.part, bytes.Repeat([]byte{7}, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeMeta(p, partMeta{URL: srv.URL + "/" + f.Name, ETag: `"old"`, Total: int64(len(srv.files[f.Name]))}); err != nil {
		t.Fatal(err)
	}
	if err := download(context.Background(), d, f, dir, &Options{Mirrors: []string{srv.URL}}); err != nil {
		t.Fatal(err)
	}
	if reqs := srv.requests(); len(reqs) != 1 || reqs[0] != f.Name+" bytes=1000-" {
		t.Errorf("requests %q", reqs)
	}
	if got, _ := os.ReadFile(p.final); !bytes.Equal(got, srv.files[f.Name]) {
		t.Errorf("file differs: the stale partial bytes were kept")
	}
}

// regzip returns b decompressed, changed at one byte, compressed again.
func regzip(t testing.TB, b []byte, at int) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	raw[at] ^= 1
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(raw)
	zw.Close()
	return out.Bytes()
}

func TestWrongChecksumStartsClean(t *testing.T) {
	srv, d := mnistMirror(t)
	f := d.Files[3] // t10k-labels
	good := srv.files[f.Name]
	srv.files[f.Name] = regzip(t, good, 5000)
	dir := t.TempDir()
	o := &Options{Mirrors: []string{srv.URL}}
	err := download(context.Background(), d, f, dir, o)
	if !errors.Is(err, ErrMirror) || !strings.Contains(err.Error(), "checksum mismatch: SHA-256") || !strings.Contains(err.Error(), "want "+f.SHA256) {
		t.Fatalf("error %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left after a wrong checksum: %v", ents)
	}
	// A truncated gzip stream is caught the same way.
	srv.files[f.Name] = good[:len(good)-100]
	err = download(context.Background(), d, f, dir, o)
	if !errors.Is(err, ErrMirror) || !strings.Contains(err.Error(), "gzip data is corrupt or truncated") {
		t.Fatalf("truncated gzip: %v", err)
	}
	srv.files[f.Name] = good
	n := len(srv.requests())
	if err := download(context.Background(), d, f, dir, o); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests()[n:]; len(got) != 1 || got[0] != f.Name+" " {
		t.Errorf("the try after a bad file did not start clean: %q", got)
	}
}

// fullDisk is a partial file that takes room bytes, then fails as a full
// disk does.
type fullDisk struct {
	*os.File
	room int
}

func (f *fullDisk) Write(b []byte) (int, error) {
	if len(b) > f.room {
		n, _ := f.File.Write(b[:f.room])
		f.room = 0
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	f.room -= len(b)
	return f.File.Write(b)
}

func TestDiskFull(t *testing.T) {
	srv, d := mnistMirror(t)
	other := newMirror(t, srv.files)
	f := d.Files[2]
	dir := t.TempDir()
	room := 300000
	o := &Options{Mirrors: []string{srv.URL, other.URL}}
	o.openPart = func(path string, flag int) (partFile, error) {
		fh, err := os.OpenFile(path, flag, 0o644)
		if err != nil {
			return nil, err
		}
		return &fullDisk{fh, room}, nil
	}
	err := download(context.Background(), d, f, dir, o)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), "run again: the download resumes") {
		t.Fatalf("error %v", err)
	}
	if len(other.requests()) != 0 {
		t.Errorf("a full disk sent the download to another mirror")
	}
	if _, err := os.Stat(filepath.Join(dir, f.Name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file under the final name after a full disk")
	}
	// With room again, the next run resumes where the disk filled.
	o.openPart = nil
	n := len(srv.requests())
	if err := download(context.Background(), d, f, dir, o); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests()[n:]; len(got) != 1 || got[0] != fmt.Sprintf("%s bytes=%d-", f.Name, room) {
		t.Errorf("requests after the disk was freed: %q", got)
	}
}

func TestStalledMirror(t *testing.T) {
	srv, d := mnistMirror(t)
	f := d.Files[2]
	half := len(srv.files[f.Name]) / 2
	release := make(chan struct{})
	defer close(release)
	srv.setBehave(func(w http.ResponseWriter, r *http.Request, name string, b []byte) bool {
		if r.Header.Get("Range") != "" {
			return false
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.Write(b[:half])
		w.(http.Flusher).Flush()
		select { // then nothing, until the client gives up
		case <-r.Context().Done():
		case <-release:
		}
		return true
	})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // no answer at all
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer silent.Close()
	dir := t.TempDir()
	o := &Options{Mirrors: []string{silent.URL, srv.URL}, Stall: 300 * time.Millisecond}
	// The stalled transfer gains bytes, so it is resumed within the same
	// call: the second request is ranged and finishes the file.
	if err := download(context.Background(), d, f, dir, o); err != nil {
		t.Fatal(err)
	}
	// (The second request asks for the rest: byte half onwards, or fewer
	// bytes if the test process was starved longer than the stall.)
	if reqs := srv.requests(); len(reqs) != 2 || !strings.HasPrefix(reqs[1], f.Name+" bytes=") || reqs[1] == f.Name+" bytes=0-" {
		t.Errorf("requests %q", reqs)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, f.Name)); !bytes.Equal(got, srv.files[f.Name]) {
		t.Errorf("resumed file differs")
	}
	// Alone, the silent mirror is reported as such.
	err := download(context.Background(), d, d.Files[3], dir, &Options{Mirrors: []string{silent.URL}, Stall: 300 * time.Millisecond})
	if !errors.Is(err, ErrMirror) || !strings.Contains(err.Error(), "no answer for 300ms, gave up") {
		t.Fatalf("silent mirror: %v", err)
	}
}

func TestStallMidBodyIsReported(t *testing.T) {
	srv, d := mnistMirror(t)
	f := d.Files[2]
	half := len(srv.files[f.Name]) / 2
	// The first answer sends half the file then stalls; the resume's
	// answer stalls at once, so the second try brings nothing.
	srv.setBehave(func(w http.ResponseWriter, r *http.Request, name string, b []byte) bool {
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		if r.Header.Get("Range") == "" {
			w.Write(b[:half])
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return true
	})
	dir := t.TempDir()
	err := download(context.Background(), d, f, dir, &Options{Mirrors: []string{srv.URL}, Stall: 300 * time.Millisecond})
	if !errors.Is(err, ErrMirror) || !strings.Contains(err.Error(), "no data for 300ms") {
		t.Fatalf("error %v", err)
	}
	if st, err := os.Stat(filepath.Join(dir, "."+f.Name+".part")); err != nil || st.Size() == 0 || st.Size() > int64(half) {
		t.Errorf("partial file after the stall: %v %v", st, err)
	}
}

func TestVerifyFindsTheBadFile(t *testing.T) {
	src := filepath.Join(sharedData(t), "mnist")
	dir := t.TempDir()
	d, _ := Lookup("mnist")
	for name, b := range readDataset(t, src, d) {
		if name == "t10k-labels-idx1-ubyte.gz" {
			b = regzip(t, b, 100)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(dir, "train-labels-idx1-ubyte.gz"))
	r, err := Verify("mnist", dir)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]State{}
	for _, f := range r.Files {
		states[f.Name] = f.State
	}
	want := map[string]State{"train-images-idx3-ubyte.gz": OK, "train-labels-idx1-ubyte.gz": Missing, "t10k-images-idx3-ubyte.gz": OK, "t10k-labels-idx1-ubyte.gz": Bad}
	if fmt.Sprint(states) != fmt.Sprint(want) {
		t.Errorf("states %v, want %v", states, want)
	}
	if err := r.Err(); !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "and 1 more of 4 files") {
		t.Errorf("Err: %v", err)
	}
	if r, err := Identify(dir); err != nil || r.Dataset != "mnist" {
		t.Errorf("identify: %v %v", r, err)
	}
	if r, err := Identify(t.TempDir()); err == nil {
		t.Errorf("an empty folder identified as %s", r.Dataset)
	}
}

func TestDataEnvIsData(t *testing.T) {
	if DataEnv != data.DataEnv {
		t.Errorf("fetch.DataEnv %q, data.DataEnv %q", DataEnv, data.DataEnv)
	}
	if CelebAImages != data.CelebAImages || CelebAAttrFile != data.CelebAAttrFile {
		t.Errorf("CelebA layout differs from package data's")
	}
}

func TestInterruptKeepsPartial(t *testing.T) {
	srv, d := mnistMirror(t)
	f := d.Files[2]
	half := len(srv.files[f.Name]) / 2
	ctx, cancel := context.WithCancel(context.Background())
	srv.setBehave(func(w http.ResponseWriter, r *http.Request, name string, b []byte) bool {
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.Write(b[:half])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return true
	})
	dir := t.TempDir()
	o := &Options{Mirrors: []string{srv.URL, srv.URL + "/again"}}
	o.openPart = func(path string, flag int) (partFile, error) {
		fh, err := os.OpenFile(path, flag, 0o644)
		return &cancelAfterWrite{fh, cancel}, err
	}
	err := download(ctx, d, f, dir, o)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted (the partial file is kept: run again to resume)") {
		t.Fatalf("error %v", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests after the interruption", n)
	}
	if st, err := os.Stat(filepath.Join(dir, "."+f.Name+".part")); err != nil || st.Size() == 0 {
		t.Errorf("partial file: %v %v", st, err)
	}
}

// cancelAfterWrite is a partial file whose first write presses Ctrl-C.
type cancelAfterWrite struct {
	*os.File
	cancel func()
}

func (c *cancelAfterWrite) Write(b []byte) (int, error) {
	n, err := c.File.Write(b)
	c.cancel()
	return n, err
}
