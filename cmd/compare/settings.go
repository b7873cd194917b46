package main

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"otgen/internal/lossflags"
	"otgen/losses"
	"otgen/train"
)

// settingList is the flag.Value of --set, which may be repeated: one
// LOSS.SETTING=VALUE per use, or several separated by commas.
type settingList []string

// String returns the settings as given.
func (s *settingList) String() string {
	if s == nil {
		return ""
	}
	return strings.Join(*s, ",")
}

// Set adds the settings of one use of the flag.
func (s *settingList) Set(v string) error {
	for _, x := range strings.Split(v, ",") {
		*s = append(*s, strings.TrimSpace(x))
	}
	return nil
}

// lossSettings are the settings --set gives one loss of the comparison,
// by cmd/train flag name ("lr", "n-critic", ...), as text.
type lossSettings map[string]string

// parseSettings checks the --set entries against the compared losses and
// groups them by loss (canonical name).
func parseSettings(list []string, compared []string) (map[string]lossSettings, error) {
	out := map[string]lossSettings{}
	for _, e := range list {
		target, value, ok := strings.Cut(e, "=")
		loss, name, dotted := strings.Cut(target, ".")
		if !ok || !dotted || loss == "" || name == "" {
			return nil, fmt.Errorf("--set %q: want LOSS.SETTING=VALUE, e.g. wgan-gp.n-critic=1", e)
		}
		spec, err := losses.Lookup(loss)
		if err != nil {
			return nil, fmt.Errorf("--set %s: %w", e, err)
		}
		found := false
		for _, l := range compared {
			found = found || l == spec.Name
		}
		if !found {
			return nil, fmt.Errorf("--set %s: %s is not among --losses", e, spec.Name)
		}
		switch {
		case name == "lr":
		case losses.SettingByName(name) == nil:
			return nil, fmt.Errorf("--set %s: %s is not a setting --set can change (lr, or a loss setting of cmd/train: %s)", e, name, strings.Join(settingNames(), ", "))
		case !spec.UsesSetting(name):
			return nil, fmt.Errorf("--set %s: %s does not read --%s", e, spec.Name, name)
		}
		if out[spec.Name] == nil {
			out[spec.Name] = lossSettings{}
		}
		if prev, dup := out[spec.Name][name]; dup {
			return nil, fmt.Errorf("--set %s: %s.%s is already set to %s", e, spec.Name, name, prev)
		}
		out[spec.Name][name] = value
	}
	return out, nil
}

// settingNames lists the loss settings' flag names.
func settingNames() []string {
	var names []string
	for _, st := range losses.Settings {
		names = append(names, st.Flag)
	}
	return names
}

// apply sets s on cfg as cmd/train's flags of the same names would: the
// learning rate, then the loss settings, with the ones not given derived
// from the loss's defaults given those that are.
func (s lossSettings) apply(cfg *train.Config) error {
	given := lossSettings{}
	for k, v := range s {
		given[k] = v
	}
	if v, ok := given["lr"]; ok {
		lr, err := strconv.ParseFloat(v, 64)
		if err != nil || !(lr > 0) || math.IsInf(lr, 0) {
			return fmt.Errorf("--set %s.lr=%s: want a number > 0", cfg.Loss.Name, v)
		}
		cfg.LR = lr
		delete(given, "lr")
	}
	_, lrSet := s["lr"]
	if err := lossflags.DeriveRun(cfg, given, lrSet); err != nil {
		return fmt.Errorf("--set %s: %w", cfg.Loss.Name, err)
	}
	if err := cfg.Loss.Validate(); err != nil {
		return fmt.Errorf("--set %s: %w", cfg.Loss.Name, err)
	}
	return losses.ConfigureModel(cfg.Loss, &cfg.Model)
}

// label is the loss's name in the table, with its settings when --set gave
// any: "wgan-gp (lr=2e-4, n-critic=1)".
func (s lossSettings) label(loss string) string {
	if len(s) == 0 {
		return loss
	}
	var parts []string
	for k, v := range s {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return loss + " (" + strings.Join(parts, ", ") + ")"
}
