// Package board serves a live web page of otgen's run folders: the runs
// (live and finished) with their config, their metric curves overlaid,
// their latest sample grids, and the tables of cmd/compare folders.
//
// It only reads the runs folder, through an os.Root, so no URL can reach a
// file outside it (not by "..", an encoded "..", an absolute path or a
// symbolic link). It keeps working while runs write: a metrics row still
// being written is left out until it is complete, and files replaced by a
// rename are read whole. A run whose files cannot be read is shown as
// broken, with what is wrong, and the others as usual.
//
// The page is one HTML template and a small script (standard library
// net/http and html/template, assets embedded with go:embed, no CDN): the
// script polls the JSON endpoints and draws the curves as SVG.
//
// Endpoints:
//
//	/                     the page
//	/api/runs             runs and comparisons (JSON)
//	/api/metrics?run=ID   a run's metrics.csv as columns and rows (JSON; null for empty cells)
//	/files/PATH           a PNG, CSV or JSON file under the runs folder
//	/static/...           the page's script and style
package board

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed assets
var assets embed.FS

// DefaultLive is the default live window: a run whose metrics changed
// within it, and that is not finished, is live.
const DefaultLive = 60 * time.Second

// DefaultPoll is how often the page asks for news by default.
const DefaultPoll = 2 * time.Second

// Options tune a Server; nil means the defaults.
type Options struct {
	// Live is the live window (0: DefaultLive).
	Live time.Duration
	// Poll is the page's refresh period (0: DefaultPoll).
	Poll time.Duration
}

// Server is the board of one runs folder. It is an http.Handler.
type Server struct {
	dir  string
	root *os.Root
	poll time.Duration
	mux  *http.ServeMux
	page *template.Template

	mu   sync.Mutex // guards scan (its PNG cache)
	scan scanner
}

// New returns the board of the runs folder dir, which must exist.
// Close releases it.
func New(dir string, o *Options) (*Server, error) {
	if o == nil {
		o = &Options{}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("board: runs folder: %w", err)
	}
	page, err := template.ParseFS(assets, "assets/index.html")
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("board: %w", err)
	}
	s := &Server{dir: dir, root: root, poll: o.Poll, mux: http.NewServeMux(), page: page}
	if s.poll <= 0 {
		s.poll = DefaultPoll
	}
	live := o.Live
	if live <= 0 {
		live = DefaultLive
	}
	s.scan = scanner{fsys: root.FS(), now: time.Now, live: live}
	static, _ := fs.Sub(assets, "assets")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", s.index)
	s.mux.HandleFunc("GET /api/runs", s.apiRuns)
	s.mux.HandleFunc("GET /api/metrics", s.apiMetrics)
	s.mux.HandleFunc("GET /files/", s.file)
	return s, nil
}

// Close releases the runs folder.
func (s *Server) Close() error { return s.root.Close() }

// ServeHTTP serves the board.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")
	s.mux.ServeHTTP(w, r)
}

// listing is the answer of /api/runs and the page's data.
type listing struct {
	Dir         string       `json:"dir"`
	PollMS      int64        `json:"poll_ms"`
	Runs        []Run        `json:"runs"`
	Comparisons []Comparison `json:"comparisons"`
}

func (s *Server) list() (*listing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	runs, comps, err := s.scan.scan()
	if err != nil {
		return nil, err
	}
	if runs == nil {
		runs = []Run{}
	}
	if comps == nil {
		comps = []Comparison{}
	}
	return &listing{Dir: s.dir, PollMS: s.poll.Milliseconds(), Runs: runs, Comparisons: comps}, nil
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	l, err := s.list()
	if err != nil {
		http.Error(w, "board: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	if err := s.page.Execute(w, l); err != nil {
		fmt.Fprintf(w, "<p>board: %s</p>", template.HTMLEscapeString(err.Error()))
	}
}

func (s *Server) apiRuns(w http.ResponseWriter, r *http.Request) {
	l, err := s.list()
	if err != nil {
		jsonError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, l)
}

// validPath reports whether p is a relative slash path that stays inside
// the runs folder by its form (os.Root enforces it again, symbolic links
// included).
func validPath(p string) bool {
	return p != "" && p != "." && fs.ValidPath(p) && !strings.ContainsAny(p, "\\\x00")
}

func (s *Server) apiMetrics(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("run")
	if !validPath(id) {
		jsonError(w, http.StatusBadRequest, fmt.Sprintf("bad run %q", id))
		return
	}
	p := path.Join(id, metricsName)
	info, err := fs.Stat(s.scan.fsys, p)
	if err != nil {
		jsonError(w, http.StatusNotFound, fmt.Sprintf("%s: %v", p, cleanErr(err)))
		return
	}
	etag := `"` + version(info) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	b, err := fs.ReadFile(s.scan.fsys, p)
	if err != nil {
		jsonError(w, http.StatusNotFound, fmt.Sprintf("%s: %v", p, cleanErr(err)))
		return
	}
	m, err := ParseMetrics(b)
	if err != nil {
		jsonError(w, http.StatusUnprocessableEntity, fmt.Sprintf("%s: %v", p, err))
		return
	}
	writeJSON(w, struct {
		Run     string       `json:"run"`
		Columns []string     `json:"columns"`
		Rows    [][]*float64 `json:"rows"`
	}{id, m.Columns, m.jsonRows()})
}

// served lists the kinds of files /files/ gives out.
var served = map[string]string{
	".png":  "image/png",
	".csv":  "text/csv; charset=utf-8",
	".json": "application/json",
}

func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/files/")
	ctype, ok := served[path.Ext(p)]
	if !validPath(p) || !ok {
		http.Error(w, "bad path", http.StatusBadRequest)
		return
	}
	f, err := s.scan.fsys.Open(p)
	if err != nil {
		http.Error(w, cleanErr(err).Error(), http.StatusNotFound)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		http.Error(w, "not a file", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", `"`+version(info)+`"`)
	if rs, ok := f.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", info.ModTime(), rs)
		return
	}
	io.Copy(w, f)
}

// cleanErr drops the path from an error: the answer names what was asked.
func cleanErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-cache")
	}
	b, err := json.Marshal(v)
	if err != nil {
		jsonError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Write(b)
}

func jsonError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Write(b)
}
