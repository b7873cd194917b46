package board

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io/fs"
	"otgen/internal/results"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// File names of run and comparison folders (see train and cmd/compare).
const (
	metricsName  = "metrics.csv"
	configName   = "config.json"
	samplesName  = "samples.png"
	samplesDir   = "samples"
	resultsCSV   = "results.csv"
	resultsJSON  = "results.json"
	curvesName   = "curves.png"
	maxStepShown = 12 // the latest samples/step_*.png listed per run
)

// The states of a run.
const (
	// StatusLive: not finished, and its metrics changed within the live
	// window.
	StatusLive = "live"
	// StatusFinished: the last row is at the configured number of steps.
	StatusFinished = "finished"
	// StatusStopped: neither finished nor changing (interrupted, or
	// between two launches).
	StatusStopped = "stopped"
	// StatusBroken: a file of the run cannot be read (see Problems).
	StatusBroken = "broken"
)

// Image is a PNG of a run or comparison, with the version token that
// changes when the file is replaced (browsers reload it then).
type Image struct {
	// Path is the file's path under the runs folder, with slashes.
	Path string `json:"path"`
	// Step is the training step of a samples/step_*.png, -1 otherwise.
	Step int `json:"step"`
	// Version changes whenever the file does (its size and time).
	Version string `json:"v"`
}

// Run is one run folder as the board shows it.
type Run struct {
	// ID is the folder's path under the runs folder, with slashes.
	ID string `json:"id"`
	// Status is one of the Status constants.
	Status string `json:"status"`
	// Problems says what is wrong with a broken run, one line each.
	Problems []string `json:"problems,omitempty"`
	// Config is config.json as it is (nil when absent or unreadable).
	Config json.RawMessage `json:"config,omitempty"`
	// Data, Loss and Steps come from the config.
	Data  string `json:"data,omitempty"`
	Loss  string `json:"loss,omitempty"`
	Steps int    `json:"steps,omitempty"`
	// LastStep is the step of the last complete metrics row, Rows their
	// number, Columns the metrics' names.
	LastStep int      `json:"last_step"`
	Rows     int      `json:"rows"`
	Columns  []string `json:"columns,omitempty"`
	// MetricsVersion changes whenever metrics.csv does.
	MetricsVersion string `json:"metrics_v,omitempty"`
	// Latest is samples.png, Samples the latest samples/step_*.png.
	Latest  *Image  `json:"latest,omitempty"`
	Samples []Image `json:"samples,omitempty"`
	// Modified is the time of the run's newest file.
	Modified time.Time `json:"modified"`
}

// Comparison is a cmd/compare output folder: its results table and
// figures.
type Comparison struct {
	// ID is the folder's path under the runs folder, with slashes.
	ID string `json:"id"`
	// Columns and Rows are the results table (results.csv, else
	// results.json).
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
	// Figures are samples.png and curves.png, when present.
	Figures []Image `json:"figures,omitempty"`
	// Problems says what could not be read.
	Problems []string `json:"problems,omitempty"`
}

// scanner reads run folders from a file system rooted at the runs folder.
type scanner struct {
	fsys fs.FS
	now  func() time.Time
	live time.Duration
	// pngOK caches the verdict on PNG files by path and version, and
	// summaries the rows, columns and last step of metrics tables.
	pngOK     map[string]error
	summaries map[string]summary
}

// summary is what the listing needs of a metrics table.
type summary struct {
	columns  []string
	rows     int
	lastStep int
	err      error
}

// scan lists the runs and comparisons: folders of the runs folder and
// their subfolders (a comparison's runs) that hold metrics.csv or
// config.json, or results.csv or results.json.
func (s *scanner) scan() ([]Run, []Comparison, error) {
	var runs []Run
	var comps []Comparison
	var visit func(dir string, depth int) error
	visit = func(dir string, depth int) error {
		ents, err := fs.ReadDir(s.fsys, dir)
		if err != nil {
			return err
		}
		has := map[string]bool{}
		var subdirs []string
		for _, e := range ents {
			has[e.Name()] = true
			if strings.HasPrefix(e.Name(), ".") || e.Name() == samplesDir {
				continue
			}
			p := path.Join(dir, e.Name())
			// Stat follows symbolic links that stay inside the runs
			// folder and fails on the others, which are skipped.
			if info, err := fs.Stat(s.fsys, p); err == nil && info.IsDir() {
				subdirs = append(subdirs, p)
			}
		}
		if dir != "." {
			if has[metricsName] || has[configName] {
				runs = append(runs, s.run(dir))
			}
			if has[resultsCSV] || has[resultsJSON] {
				comps = append(comps, s.comparison(dir, has))
			}
		}
		if depth < 2 {
			for _, sd := range subdirs {
				if err := visit(sd, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := visit(".", 0); err != nil {
		return nil, nil, err
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].ID < runs[j].ID })
	sort.Slice(comps, func(i, j int) bool { return comps[i].ID < comps[j].ID })
	return runs, comps, nil
}

// version is a file's version token.
func version(info fs.FileInfo) string {
	return strconv.FormatInt(info.Size(), 36) + "-" + strconv.FormatInt(info.ModTime().UnixNano(), 36)
}

// run reads one run folder.
func (s *scanner) run(dir string) Run {
	r := Run{ID: dir, Status: StatusStopped}
	bad := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	touch := func(info fs.FileInfo) {
		if info.ModTime().After(r.Modified) {
			r.Modified = info.ModTime()
		}
	}

	if b, err := fs.ReadFile(s.fsys, path.Join(dir, configName)); err == nil {
		var c struct {
			Data struct {
				Name string `json:"name"`
			} `json:"data"`
			Loss struct {
				Name string `json:"name"`
			} `json:"loss"`
			Steps int `json:"steps"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			bad("%s: %v", configName, err)
		} else {
			r.Config = json.RawMessage(b)
			r.Data, r.Loss, r.Steps = c.Data.Name, c.Loss.Name, c.Steps
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		bad("%s: %v", configName, err)
	}

	var metricsTime time.Time
	if info, err := fs.Stat(s.fsys, path.Join(dir, metricsName)); err == nil {
		touch(info)
		metricsTime = info.ModTime()
		r.MetricsVersion = version(info)
		sum := s.summary(dir, r.MetricsVersion)
		if sum.err != nil {
			bad("%s: %v", metricsName, sum.err)
		} else {
			r.Columns, r.Rows, r.LastStep = sum.columns, sum.rows, sum.lastStep
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		bad("%s: %v", metricsName, err)
	}

	finished := r.Steps > 0 && r.LastStep >= r.Steps
	live := !finished && !metricsTime.IsZero() && s.now().Sub(metricsTime) < s.live

	// Samples: samples.png and samples/step_*.png must be whole PNGs;
	// samples.png must exist once a run that wrote step figures is no
	// longer live, and at the end of a run.
	var steps []Image
	if ents, err := fs.ReadDir(s.fsys, path.Join(dir, samplesDir)); err == nil {
		for _, e := range ents {
			n := e.Name()
			if !strings.HasPrefix(n, "step_") || !strings.HasSuffix(n, ".png") {
				continue
			}
			step, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(n, "step_"), ".png"))
			if err != nil {
				continue
			}
			p := path.Join(dir, samplesDir, n)
			info, err := fs.Stat(s.fsys, p)
			if err != nil {
				continue // replaced while listing
			}
			touch(info)
			steps = append(steps, Image{Path: p, Step: step, Version: version(info)})
		}
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].Step < steps[j].Step })
	if len(steps) > maxStepShown {
		steps = steps[len(steps)-maxStepShown:]
	}
	for _, im := range steps {
		if err := s.checkPNG(im); err != nil {
			bad("%s: %v", strings.TrimPrefix(im.Path, dir+"/"), err)
		}
	}
	r.Samples = steps
	latest := path.Join(dir, samplesName)
	if info, err := fs.Stat(s.fsys, latest); err == nil {
		touch(info)
		im := Image{Path: latest, Step: -1, Version: version(info)}
		if err := s.checkPNG(im); err != nil {
			bad("%s: %v", samplesName, err)
		} else {
			r.Latest = &im
		}
	} else if errors.Is(err, fs.ErrNotExist) {
		if finished || (!live && len(steps) > 0) {
			bad("%s is missing", samplesName)
		}
	} else {
		bad("%s: %v", samplesName, err)
	}

	switch {
	case len(r.Problems) > 0:
		r.Status = StatusBroken
	case finished:
		r.Status = StatusFinished
	case live:
		r.Status = StatusLive
	}
	return r
}

// summary reads and parses a run's metrics.csv, or returns what it found
// for this version of the file before.
func (s *scanner) summary(dir, version string) summary {
	key := dir + "@" + version
	if sum, ok := s.summaries[key]; ok {
		return sum
	}
	var sum summary
	b, err := fs.ReadFile(s.fsys, path.Join(dir, metricsName))
	if err == nil {
		var m *Metrics
		if m, err = ParseMetrics(b); err == nil {
			sum.columns, sum.rows = m.Columns, len(m.Rows)
			if len(m.Rows) > 0 {
				sum.lastStep = int(m.Rows[len(m.Rows)-1][0])
			}
		}
	}
	sum.err = err
	if s.summaries == nil || len(s.summaries) > 4096 {
		s.summaries = map[string]summary{}
	}
	s.summaries[key] = sum
	return sum
}

// checkPNG decodes a PNG's header and checks that the file ends with the
// IEND chunk, caching the verdict by version.
func (s *scanner) checkPNG(im Image) error {
	key := im.Path + "@" + im.Version
	if err, ok := s.pngOK[key]; ok {
		return err
	}
	err := func() error {
		b, err := fs.ReadFile(s.fsys, im.Path)
		if err != nil {
			return err
		}
		if _, err := png.DecodeConfig(bytes.NewReader(b)); err != nil {
			return fmt.Errorf("%w: not a PNG (%v)", ErrCorrupt, err)
		}
		iend := []byte{0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82}
		if !bytes.HasSuffix(b, iend) {
			return fmt.Errorf("%w: PNG is truncated (no IEND chunk at its end)", ErrCorrupt)
		}
		return nil
	}()
	if s.pngOK == nil {
		s.pngOK = map[string]error{}
	}
	if len(s.pngOK) > 4096 {
		clear(s.pngOK)
	}
	s.pngOK[key] = err
	return err
}

// comparison reads a cmd/compare folder.
func (s *scanner) comparison(dir string, has map[string]bool) Comparison {
	c := Comparison{ID: dir}
	readCSV := func() error {
		b, err := fs.ReadFile(s.fsys, path.Join(dir, resultsCSV))
		if err != nil {
			return err
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if len(recs) == 0 {
			return fmt.Errorf("%w: empty", ErrCorrupt)
		}
		c.Columns, c.Rows = recs[0], recs[1:]
		return nil
	}
	readJSON := func() error {
		b, err := fs.ReadFile(s.fsys, path.Join(dir, resultsJSON))
		if err != nil {
			return err
		}
		var res []results.Result
		if err := json.Unmarshal(b, &res); err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		c.Columns, c.Rows = results.Table(res, results.MetricOrder(res))
		return nil
	}
	var err error
	if has[resultsCSV] {
		if err = readCSV(); err != nil {
			c.Problems = append(c.Problems, fmt.Sprintf("%s: %v", resultsCSV, err))
		}
	}
	if (!has[resultsCSV] || err != nil) && has[resultsJSON] {
		if err := readJSON(); err != nil {
			c.Problems = append(c.Problems, fmt.Sprintf("%s: %v", resultsJSON, err))
		}
	}
	for _, n := range []string{samplesName, curvesName} {
		p := path.Join(dir, n)
		info, err := fs.Stat(s.fsys, p)
		if err != nil {
			continue
		}
		im := Image{Path: p, Step: -1, Version: version(info)}
		if err := s.checkPNG(im); err != nil {
			c.Problems = append(c.Problems, fmt.Sprintf("%s: %v", n, err))
			continue
		}
		c.Figures = append(c.Figures, im)
	}
	return c
}
