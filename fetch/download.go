package fetch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"otgen/internal/atomicfile"
	"otgen/internal/progress"
)

// DefaultStall is how long a mirror may send nothing before it is given
// up, when Options.Stall is 0.
const DefaultStall = 30 * time.Second

// Options tune Fetch and Ensure; nil means the defaults.
type Options struct {
	// Mirrors, when not empty, replace the dataset's own mirrors: URL
	// templates tried in order, "{file}" standing for the file name and
	// "{id}" for its id; a template without "{" gets "/{file}" appended.
	// Tests and local mirrors use it.
	Mirrors []string
	// Client makes the requests (nil: one that honours the proxy
	// environment variables, as http.DefaultTransport does).
	Client *http.Client
	// Stall is how long a mirror may send nothing, before its answer or
	// within it, before it is given up (0: DefaultStall).
	Stall time.Duration
	// Log receives the progress of downloads and what went wrong with
	// which mirror (nil: nothing is written).
	Log io.Writer
	// TTY draws progress bars on Log rather than log lines.
	TTY bool
	// From lists local folders that hold the dataset's files, e.g.
	// Debian's /usr/share/datasets/fashion-mnist; for CelebA also its
	// archives (img_align_celeba.zip, list_attr_celeba.txt, an unpacked
	// img_align_celeba folder). When set, nothing is downloaded.
	From []string

	// openPart opens a partial file for writing (nil: os.OpenFile); tests
	// use it to simulate a full disk.
	openPart func(path string, flag int) (partFile, error)
}

// partFile is what a download writes to.
type partFile interface {
	io.Writer
	Sync() error
	Close() error
}

func (o *Options) stall() time.Duration {
	if o.Stall > 0 {
		return o.Stall
	}
	return DefaultStall
}

func (o *Options) client() *http.Client {
	if o.Client != nil {
		return o.Client
	}
	return &http.Client{}
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

// partMeta is the sidecar of a partial download: where its bytes come
// from, so that only the same resource is resumed.
type partMeta struct {
	URL          string `json:"url"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	Total        int64  `json:"total,omitempty"`
}

// paths of a file's download.
type paths struct{ final, part, meta string }

func pathsOf(dir, name string) paths {
	part := filepath.Join(dir, "."+name+".part")
	return paths{final: filepath.Join(dir, name), part: part, meta: part + ".json"}
}

// mirrorURL expands a mirror template for f.
func mirrorURL(tmpl string, f File) string {
	if !strings.Contains(tmpl, "{") {
		tmpl = strings.TrimRight(tmpl, "/") + "/{file}"
	}
	return strings.NewReplacer("{file}", f.Name, "{id}", f.ID).Replace(tmpl)
}

// errLocal marks errors of the local disk: no other mirror can help.
type errLocal struct{ err error }

func (e errLocal) Error() string { return e.err.Error() }
func (e errLocal) Unwrap() error { return e.err }

// errStall is the cause of a request given up for silence.
var errStall = errors.New("stalled")

// download fetches f into dir from the first mirror that delivers it with
// the right checksum and renames it to its final name. A partial download
// of an earlier try from one of the mirrors is resumed from that mirror
// first.
func download(ctx context.Context, d Dataset, f File, dir string, o *Options) error {
	p := pathsOf(dir, f.Name)
	tmpls := d.Mirrors
	if len(o.Mirrors) > 0 {
		tmpls = o.Mirrors
	}
	var urls []string
	meta := readMeta(p)
	for _, t := range tmpls {
		u := mirrorURL(t, f)
		if meta != nil && u == meta.URL {
			urls = append([]string{u}, urls...)
		} else {
			urls = append(urls, u)
		}
	}
	var fails []string
	for _, u := range urls {
		err := fetchURL(ctx, u, f, p, o)
		if err == nil {
			err = commit(p, f)
			if err == nil {
				return nil
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: interrupted (the partial file is kept: run again to resume): %w", f.Name, ctx.Err())
		}
		var local errLocal
		if errors.As(err, &local) {
			return err
		}
		o.logf("%s: %v; trying the next mirror", f.Name, err)
		fails = append(fails, err.Error())
	}
	msg := fmt.Sprintf("%s %s: no mirror delivered it: %s", d.Name, f.Name, strings.Join(fails, "; "))
	if d.Manual != "" {
		msg += "; " + d.Manual
	}
	return fmt.Errorf("%w: %s", ErrMirror, msg)
}

// fetchURL downloads u into p.part, resuming it when it holds the start of
// the same resource, and retries a transfer that ends early as long as
// each try brings new bytes. It returns nil when the partial file is
// complete (not yet verified).
func fetchURL(ctx context.Context, u string, f File, p paths, o *Options) error {
	for tries := 0; ; tries++ {
		gained, err := fetchOnce(ctx, u, f, p, o)
		if err == nil {
			return nil
		}
		var local errLocal
		if gained == 0 || tries >= 4 || errors.As(err, &local) || ctx.Err() != nil {
			return err
		}
		o.logf("%s: %v; resuming", f.Name, err)
	}
}

// fetchOnce makes one request for u and appends what it receives to the
// partial file. It returns how many bytes it wrote.
func fetchOnce(ctx context.Context, u string, f File, p paths, o *Options) (int64, error) {
	meta := readMeta(p)
	var offset int64
	if meta != nil && meta.URL == u {
		if st, err := os.Stat(p.part); err == nil {
			offset = st.Size()
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := o.stall()
	timer := time.AfterFunc(stall, func() { cancel(errStall) })
	defer timer.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, mirrorf("%s: %v", u, err)
	}
	req.Header.Set("User-Agent", "otgen-fetch")
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
		if meta.ETag != "" && !strings.HasPrefix(meta.ETag, "W/") {
			req.Header.Set("If-Range", meta.ETag)
		} else if meta.LastModified != "" {
			req.Header.Set("If-Range", meta.LastModified)
		}
	}
	resp, err := o.client().Do(req)
	if err != nil {
		return 0, netErr(ctx, u, stall, err, false, 0, -1)
	}
	defer resp.Body.Close()
	total := int64(-1)
	switch resp.StatusCode {
	case http.StatusPartialContent:
		start, end, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != offset || (meta.Total > 0 && size >= 0 && size != meta.Total) {
			// Not the continuation of our bytes: start again.
			removePart(p)
			return 0, mirrorf("%s: answered the resume with range %q, starting again", u, resp.Header.Get("Content-Range"))
		}
		total = size
		if total < 0 {
			total = end + 1
		}
	case http.StatusOK:
		offset = 0 // a full answer: the server ignored the range, or the file changed
		if resp.ContentLength >= 0 {
			total = resp.ContentLength
		}
	case http.StatusRequestedRangeNotSatisfiable:
		if offset > 0 && meta.Total == offset {
			return 0, nil // the partial file is complete already
		}
		removePart(p)
		return 0, mirrorf("%s: cannot resume (HTTP 416), starting again", u)
	default:
		return 0, mirrorf("%s: HTTP %s", u, resp.Status)
	}

	// Refuse what is not the file before writing a byte: an HTML page
	// (quota messages, login walls, error pages) or data of another kind.
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	head, perr := br.Peek(512)
	if perr != nil && perr != io.EOF && perr != bufio.ErrBufferFull {
		return 0, netErr(ctx, u, stall, perr, true, offset, total)
	}
	if err := sniff(u, f, resp.Header.Get("Content-Type"), head, offset); err != nil {
		return 0, err
	}

	flag := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if offset == 0 {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		m := partMeta{URL: u, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"), Total: total}
		if err := writeMeta(p, m); err != nil {
			return 0, errLocal{err}
		}
	}
	open := o.openPart
	if open == nil {
		open = func(path string, flag int) (partFile, error) { return os.OpenFile(path, flag, 0o644) }
	}
	out, err := open(p.part, flag)
	if err != nil {
		return 0, errLocal{fmt.Errorf("open %s: %w", p.part, err)}
	}
	bar := newBar(o, f.Name, offset, total)
	written, cerr := copyWithStall(out, br, timer, stall, func(n int64) { bar.set(offset + n) })
	bar.finish()
	if serr := out.Sync(); cerr == nil && serr != nil {
		cerr = errLocal{fmt.Errorf("sync %s: %w", p.part, serr)}
	}
	if err := out.Close(); cerr == nil && err != nil {
		cerr = errLocal{fmt.Errorf("close %s: %w", p.part, err)}
	}
	if cerr != nil {
		var local errLocal
		if errors.As(cerr, &local) {
			return written, errLocal{fmt.Errorf("%w (free some space and run again: the download resumes)", local.err)}
		}
		return written, netErr(ctx, u, stall, cerr, true, offset+written, total)
	}
	if total >= 0 && offset+written != total {
		return written, mirrorf("%s: body ended after %d of %d bytes (the partial file is kept: run again to resume)", u, offset+written, total)
	}
	return written, nil
}

// copyWithStall copies src to dst, resetting the stall timer after every
// read; progress gets the bytes copied so far. Write errors come back as
// errLocal.
func copyWithStall(dst io.Writer, src io.Reader, timer *time.Timer, stall time.Duration, progress func(int64)) (int64, error) {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		timer.Reset(stall)
		k, rerr := src.Read(buf)
		if k > 0 {
			w, werr := dst.Write(buf[:k])
			n += int64(w)
			if werr == nil && w < k {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				return n, errLocal{werr}
			}
			progress(n)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// netErr describes a transfer error: a stall (before the answer, or
// within it after got bytes of the file), an early end or another network
// error.
func netErr(ctx context.Context, u string, stall time.Duration, err error, answered bool, got, total int64) error {
	if errors.Is(context.Cause(ctx), errStall) {
		if answered {
			return mirrorf("%s: no data for %s after %d bytes, gave up (the partial file is kept: run again to resume)", u, stall, got)
		}
		return mirrorf("%s: no answer for %s, gave up", u, stall)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) && total >= 0 {
		return mirrorf("%s: body ended after %d of %d bytes (the partial file is kept: run again to resume)", u, got, total)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is said already
	}
	return mirrorf("%s: %v", u, err)
}

// mirrorError is what went wrong with one mirror; it wraps ErrMirror
// without repeating its text.
type mirrorError struct{ msg string }

func (e *mirrorError) Error() string        { return e.msg }
func (e *mirrorError) Is(target error) bool { return target == ErrMirror }

func mirrorf(format string, args ...any) error {
	return &mirrorError{fmt.Sprintf(format, args...)}
}

var titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// sniff refuses an answer that is not the file f: an HTML page, or data
// without the file's magic bytes (gzip, zip) at its start.
func sniff(u string, f File, ctype string, head []byte, offset int64) error {
	trim := bytes.TrimSpace(head)
	html := strings.HasPrefix(strings.ToLower(ctype), "text/html") ||
		(offset == 0 && strings.HasPrefix(http.DetectContentType(head), "text/html")) ||
		(offset == 0 && len(trim) > 0 && trim[0] == '<')
	if html {
		title := ""
		if m := titleRE.FindSubmatch(head); m != nil {
			title = fmt.Sprintf(" %q", strings.Join(strings.Fields(string(m[1])), " "))
		}
		return mirrorf("%s answered with an HTML page%s, not the file (a quota, login or error page)", u, title)
	}
	if offset > 0 || len(head) == 0 {
		return nil
	}
	switch {
	case strings.HasSuffix(f.Name, ".gz") && !bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return mirrorf("%s answered with data that is not gzip (starts % x)", u, head[:min(4, len(head))])
	case strings.HasSuffix(f.Name, ".zip") && !bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return mirrorf("%s answered with data that is not a zip archive (starts % x)", u, head[:min(4, len(head))])
	}
	return nil
}

// parseContentRange parses "bytes START-END/SIZE" (SIZE may be "*": -1).
func parseContentRange(s string) (start, end, size int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	rng, sz, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, 0, false
	}
	a, b, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, 0, false
	}
	var err1, err2 error
	start, err1 = strconv.ParseInt(a, 10, 64)
	end, err2 = strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || end < start {
		return 0, 0, 0, false
	}
	size = -1
	if sz != "*" {
		v, err := strconv.ParseInt(sz, 10, 64)
		if err != nil || v <= end {
			return 0, 0, 0, false
		}
		size = v
	}
	return start, end, size, true
}

// commit verifies a complete partial file and renames it to its final
// name; a partial file with the wrong contents is removed (the next try
// starts clean).
func commit(p paths, f File) error {
	m := readMeta(p)
	if err := checkFile(p.part, f); err != nil {
		removePart(p)
		if errors.Is(err, ErrChecksum) {
			src := "download"
			if m != nil {
				src = m.URL
			}
			return fmt.Errorf("%s: %w (the downloaded file was removed)", src, err)
		}
		return errLocal{fmt.Errorf("verify %s: %w", p.part, err)}
	}
	if err := os.Rename(p.part, p.final); err != nil {
		return errLocal{fmt.Errorf("rename %s: %w", p.part, err)}
	}
	os.Remove(p.meta)
	if d, err := os.Open(filepath.Dir(p.final)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

func removePart(p paths) {
	os.Remove(p.part)
	os.Remove(p.meta)
}

func readMeta(p paths) *partMeta {
	b, err := os.ReadFile(p.meta)
	if err != nil {
		return nil
	}
	var m partMeta
	if json.Unmarshal(b, &m) != nil || m.URL == "" {
		return nil
	}
	return &m
}

func writeMeta(p paths, m partMeta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(p.meta, append(b, '\n'))
}

// bar shows a download's progress in kB (1000 bytes) through
// internal/progress, or nothing without a log.
type bar struct {
	b     *progress.Bar
	total int64
}

func newBar(o *Options, name string, offset, total int64) bar {
	if o.Log == nil || total <= 0 {
		return bar{}
	}
	return bar{progress.New(o.Log, o.TTY, name+" kB", int((total+999)/1000), &progress.Options{Unit: "kB", Start: int(offset / 1000)}), total}
}

func (b bar) set(done int64) {
	if b.b != nil {
		if done >= b.total {
			b.b.Set(int((b.total+999)/1000), "")
			return
		}
		b.b.Set(int(done/1000), "")
	}
}

func (b bar) finish() {
	if b.b != nil {
		b.b.Finish()
	}
}
