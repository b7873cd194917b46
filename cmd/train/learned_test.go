package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestLearnedCostFlags: the learned-cost losses' settings are flags whose
// bad values are one-line errors naming the flag.
func TestLearnedCostFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--loss", "sinkhorn-gan", "--feature-dim", "0"}, "feature-dim"},
		{[]string{"--loss", "minibatch-w-gan", "--feature-dim", "-2"}, "feature-dim"},
		{[]string{"--loss", "sinkhorn-gan", "--cost", "l2sq"}, "cost"},
		{[]string{"--loss", "sinkhorn-gan", "--cost", "manhattan"}, "cost"},
		{[]string{"--loss", "minibatch-w-gan", "--critic-reg", "ae"}, "critic-reg"},
	} {
		var out, errb bytes.Buffer
		args := append(tc.args, "--steps", "1", "--out", filepath.Join(t.TempDir(), "run"))
		err := runArgs(args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(strings.TrimSpace(err.Error()), "\n") {
			t.Errorf("%v: %v, want a one-line error about --%s", tc.args, err, tc.want)
		}
	}
	var out, errb bytes.Buffer
	err := runArgs([]string{"--loss", "sinkhorn-gan", "--help"}, &out, &errb)
	if err == nil {
		t.Fatal("--help returned no error")
	}
	for _, want := range []string{"-feature-dim int", "(default 16)", "-critic-reg", "(default gp)", "(default sqeuclidean)"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("sinkhorn-gan --help does not show %q", want)
		}
	}
}
