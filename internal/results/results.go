// Package results is the one format of a comparison's results: the row
// of each finished run, the order of the metric columns and the cells of
// results.csv. cmd/compare writes them; board shows them, from
// results.csv or, when that is missing, from results.json.
package results

import (
	"sort"
	"strconv"
	"strings"
)

// Result is one finished run of a comparison, as results.json holds it.
type Result struct {
	Loss    string             `json:"loss"`
	Seed    uint64             `json:"seed"`
	Steps   int                `json:"steps"`
	WallS   float64            `json:"wall_s"`
	StepMS  float64            `json:"step_ms"`
	Metrics map[string]float64 `json:"metrics"`
	Dir     string             `json:"dir"`
}

// rank orders the known evaluation metrics: each mode-coverage rule
// beside the other, the image metrics after the point metrics.
var rank = map[string]int{"eval_w2": 0, "eval_mmd": 1, "eval_modes": 2, "eval_modes_peer": 3, "eval_hq": 4,
	"eval_fid": 5, "eval_kid": 6, "eval_label_kl": 7, "eval_swd": 8, "eval_rec": 9, "eval_latent_mmd": 10}

// MetricOrder lists the evaluation metrics (names starting with "eval_")
// that any of rs has, in column order: the known ones by rank, then the
// others by name. A metric some runs lack (the reconstruction error of a
// GAN) is a blank cell in theirs.
func MetricOrder(rs []Result) []string {
	seen := map[string]bool{}
	var names []string
	for _, r := range rs {
		for k := range r.Metrics {
			if strings.HasPrefix(k, "eval_") && !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	sort.Slice(names, func(i, j int) bool {
		ri, oki := rank[names[i]]
		rj, okj := rank[names[j]]
		if oki != okj {
			return oki
		}
		if oki && ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	return names
}

// Table returns the header and the rows of results.csv for rs, with the
// metric columns of metrics: loss, seed, the metrics (six significant
// digits, blank where a run lacks one), steps, wall_s and step_ms.
func Table(rs []Result, metrics []string) (header []string, rows [][]string) {
	header = append(append([]string{"loss", "seed"}, metrics...), "steps", "wall_s", "step_ms")
	for _, r := range rs {
		row := []string{r.Loss, strconv.FormatUint(r.Seed, 10)}
		for _, k := range metrics {
			cell := ""
			if v, ok := r.Metrics[k]; ok {
				cell = strconv.FormatFloat(v, 'g', 6, 64)
			}
			row = append(row, cell)
		}
		row = append(row, strconv.Itoa(r.Steps), strconv.FormatFloat(r.WallS, 'f', 2, 64), strconv.FormatFloat(r.StepMS, 'f', 2, 64))
		rows = append(rows, row)
	}
	return header, rows
}
