package main

import (
	"path/filepath"

	"otgen/scores"
	"otgen/train"
)

// finalMetrics computes the final image metrics of the run in dir
// (scores.Final: SWD, FID, KID, label KL, reconstruction error; nothing for
// 2-D data, whose metrics train's evaluation already gives).
func finalMetrics(dir, dataDir string, nets scores.Nets) (map[string]float64, error) {
	l, err := train.Load(filepath.Join(dir, train.CheckpointName))
	if err != nil {
		return nil, err
	}
	return scores.Final(l, dataDir, nets, scores.Seed)
}
