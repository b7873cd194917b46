package losses

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"otgen/models"
)

// Spec is everything otgen knows about one loss. Each loss file registers
// one in its init function; the training configuration, the commands'
// flags and help text, and the comparison tool read them through Specs and
// Lookup. Adding a loss means adding one file.
type Spec struct {
	// Name is the canonical name (--loss NAME); Aliases are other names
	// users know the loss by.
	Name    string
	Aliases []string
	// Rank orders the losses in listings (lower first).
	Rank int
	// Title, Paper and Equation describe the objective for the README's
	// table and --help: a short title, the paper it comes from and the
	// equation it implements.
	Title, Paper, Equation string
	// Model names the networks the loss trains ("generator", "generator +
	// critic", ...).
	Model string
	// Uses lists the settings of Config the loss reads, by their flag
	// names (see Settings), in the order they are validated.
	Uses []string
	// Defaults fills the zero settings of c for data d and may change the
	// training loop's defaults in t (t holds the data's defaults on entry).
	Defaults func(c *Config, t *Training, d Data)
	// Validate, when not nil, checks what the common checks of the settings
	// in Uses cannot (names of costs and likelihoods, lists).
	Validate func(c Config) error
	// FitBatch, when not nil, adapts default settings to a batch size the
	// user chose (minibatch-w's m shrinks to the batch).
	FitBatch func(c *Config, batch int)
	// CheckBatch, when not nil, reports whether batches of the given size
	// suit c.
	CheckBatch func(c Config, batch int) error
	// ConfigureModel sets the parts of a model configuration the loss
	// dictates: the kind of encoder and the critic.
	ConfigureModel func(c Config, mc *models.Config)
	// Build builds the optimisation steps of one iteration over model m
	// for batches of the given size.
	Build func(c Config, m *models.Model, batch int) ([]*Step, error)
}

// Data tells a loss what the training data look like, for its defaults.
type Data struct {
	// Name is the dataset ("8gaussians", "mnist", ...).
	Name string
	// Shape is one example's shape: [2] for the 2-D toys, [C H W] for
	// images.
	Shape []int
	// Output is the decoder's output non-linearity: "linear", "sigmoid"
	// (pixels in [0,1]) or "tanh" (pixels in [-1,1]).
	Output string
}

// Points reports whether the examples are points of R^d (the 2-D toys)
// rather than images.
func (d Data) Points() bool { return len(d.Shape) == 1 }

// Training holds the settings of the training loop that a loss may choose
// defaults for.
type Training struct {
	LR, Beta1, Beta2 float64
	Batch, Steps     int
	// Schedule is the learning-rate schedule: "constant", "linear" or
	// "cosine".
	Schedule string
}

// registry holds the registered losses by canonical name and alias.
var (
	registry = map[string]*Spec{}
	byAlias  = map[string]*Spec{}
)

// register adds a loss; it panics on an incomplete spec or a name already
// taken (a programming error, found by every test run).
func register(s Spec) {
	if s.Name == "" || s.Build == nil || s.ConfigureModel == nil || s.Equation == "" || s.Paper == "" {
		panic(fmt.Sprintf("losses: incomplete spec %q", s.Name))
	}
	for _, n := range append([]string{s.Name}, s.Aliases...) {
		n = strings.ToLower(n)
		if _, dup := byAlias[n]; dup {
			panic(fmt.Sprintf("losses: name %q registered twice", n))
		}
		byAlias[n] = &s
	}
	for _, u := range s.Uses {
		if SettingByName(u) == nil {
			panic(fmt.Sprintf("losses: %s uses unknown setting %q", s.Name, u))
		}
	}
	registry[s.Name] = &s
}

// Specs returns the registered losses in listing order.
func Specs() []*Spec {
	out := make([]*Spec, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rank != out[j].Rank {
			return out[i].Rank < out[j].Rank
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Names returns the canonical names of the registered losses in listing
// order.
func Names() []string {
	var out []string
	for _, s := range Specs() {
		out = append(out, s.Name)
	}
	return out
}

// Aliases returns every alias, sorted, as "alias (name)".
func Aliases() []string {
	var out []string
	for _, s := range Specs() {
		for _, a := range s.Aliases {
			out = append(out, a+" ("+s.Name+")")
		}
	}
	sort.Strings(out)
	return out
}

// ErrUnknown is wrapped by the error for a loss name nobody registered.
var ErrUnknown = errors.New("unknown loss")

// Lookup returns the loss of a name or alias, in any case.
func Lookup(name string) (*Spec, error) {
	if s, ok := byAlias[strings.ToLower(strings.TrimSpace(name))]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("losses: %w %q (want one of %s)", ErrUnknown, name, strings.Join(Names(), ", "))
}

// Canonical returns the canonical name of a loss given by any of its
// names; unknown names are returned unchanged (Validate rejects them).
func Canonical(name string) string {
	if s, err := Lookup(name); err == nil {
		return s.Name
	}
	return name
}

// UsesSetting reports whether the loss reads the setting named by its flag
// name.
func (s *Spec) UsesSetting(name string) bool {
	for _, u := range s.Uses {
		if u == name {
			return true
		}
	}
	return false
}

// Defaults returns c with its zero settings filled with the loss's
// defaults for data d; when t is not nil the loss may also change the
// training loop's defaults there. Unknown losses are returned unchanged.
func Defaults(c Config, t *Training, d Data) Config {
	s, err := Lookup(c.Name)
	if err != nil {
		return c
	}
	c.Name = s.Name
	if t == nil {
		t = &Training{}
	}
	if s.Defaults != nil {
		s.Defaults(&c, t, d)
	}
	return c
}

// FitBatch adapts c's default settings to a batch size the user chose
// (minibatch-w's m shrinks to a smaller batch). Call it only when the
// user did not set those settings themselves.
func FitBatch(c *Config, batch int) {
	if s, err := Lookup(c.Name); err == nil && s.FitBatch != nil {
		s.FitBatch(c, batch)
	}
}

// Validate reports the first invalid setting of c, checking the settings
// in the fixed order of Settings and then the loss's own checks. A setting
// the loss does not use may be 0 (unset) but not out of its range. The
// batch size is checked by CheckBatch.
func (c Config) Validate() error {
	s, err := Lookup(c.Name)
	if err != nil {
		return err
	}
	for _, st := range Settings {
		if st.Value == nil {
			continue
		}
		v := st.Value(c)
		if v == 0 && (!s.UsesSetting(st.Flag) || st.ZeroOK) {
			continue
		}
		if err := st.check(v); err != nil {
			return err
		}
	}
	if s.Validate != nil {
		return s.Validate(c)
	}
	return nil
}

// CheckBatch reports whether batches of the given size suit c.
func (c Config) CheckBatch(batch int) error {
	if batch < 2 {
		return fmt.Errorf("losses: batch size %d, want at least 2", batch)
	}
	s, err := Lookup(c.Name)
	if err != nil {
		return err
	}
	if s.CheckBatch != nil {
		return s.CheckBatch(c, batch)
	}
	return nil
}

// ConfigureModel sets the parts of a model configuration that the loss
// dictates: the kind of encoder and the critic. Settings for a critic the
// loss does not have are cleared.
func ConfigureModel(c Config, mc *models.Config) error {
	s, err := Lookup(c.Name)
	if err != nil {
		return err
	}
	mc.CriticOn = models.CriticNone
	mc.Features = 0
	s.ConfigureModel(c, mc)
	if mc.CriticOn == models.CriticNone {
		mc.Critic = nil
	}
	return nil
}

// New builds the objective c over model m for batches of the given size.
func New(c Config, m *models.Model, batch int) (*Objective, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := c.CheckBatch(batch); err != nil {
		return nil, err
	}
	s, _ := Lookup(c.Name)
	steps, err := s.Build(c, m, batch)
	if err != nil {
		return nil, fmt.Errorf("losses: %s: %w", s.Name, err)
	}
	return &Objective{Steps: steps}, nil
}

// Setting describes one numeric setting of Config: its flag name, what it
// means and its valid range. Validation reports settings in the order of
// Settings.
type Setting struct {
	// Flag is the setting's name on the command line (--Flag) and in
	// messages.
	Flag string
	// What says what the setting is, for help text and messages.
	What string
	// Value reads the setting from a Config (nil for settings that are
	// not numbers).
	Value func(Config) float64
	// Min is the smallest valid value; Strict excludes Min itself;
	// Integer asks for a whole number.
	Min     float64
	Strict  bool
	Integer bool
	// ZeroOK says that 0 is a valid value even for a loss that uses the
	// setting (a weight of 0 switches a term off).
	ZeroOK bool
}

// check reports whether v is in the setting's range, in one message per
// setting whatever the bad value.
func (st Setting) check(v float64) error {
	ok := !math.IsNaN(v) && !math.IsInf(v, 0) && v >= st.Min && !(st.Strict && v == st.Min)
	if ok {
		return nil
	}
	want := ">="
	if st.Strict {
		want = ">"
	}
	kind := "a finite number"
	if st.Integer {
		kind = "an integer"
	}
	return fmt.Errorf("losses: %s %v (%s), want %s %s %v", st.Flag, v, st.What, kind, want, st.Min)
}

// Settings are the numeric settings of Config in the order Validate
// checks them. The other settings ("likelihood", "cost", "scales") are
// checked by the losses that use them.
var Settings = []Setting{
	{Flag: "lambda", What: "weight of the latent divergence or of the gradient penalty", Value: func(c Config) float64 { return c.Lambda }, ZeroOK: true},
	{Flag: "decoder-std", What: "standard deviation of the Gaussian decoder", Value: func(c Config) float64 { return c.DecoderStd }, Strict: true, ZeroOK: true}, // 0 with a Bernoulli decoder
	{Flag: "n-critic", What: "critic steps per generator step", Value: func(c Config) float64 { return float64(c.NCritic) }, Min: 1, Integer: true},
	{Flag: "clip", What: "weight-clipping bound", Value: func(c Config) float64 { return c.Clip }, Strict: true},
	{Flag: "eps", What: "entropic regularisation", Value: func(c Config) float64 { return c.Eps }, Strict: true},
	{Flag: "reach", What: "reach of the unbalanced Sinkhorn divergence (0: balanced)", Value: func(c Config) float64 { return c.Reach }, ZeroOK: true},
	{Flag: "iters", What: "Sinkhorn iterations", Value: func(c Config) float64 { return float64(c.Iters) }, Min: 1, Integer: true},
	{Flag: "k", What: "minibatch pairs", Value: func(c Config) float64 { return float64(c.K) }, Min: 1, Integer: true},
	{Flag: "m", What: "minibatch size", Value: func(c Config) float64 { return float64(c.M) }, Min: 1, Integer: true},
	{Flag: "feature-dim", What: "critic feature dimension", Value: func(c Config) float64 { return float64(c.Features) }, Min: 1, Integer: true},
	{Flag: "likelihood", What: "decoder likelihood"},
	{Flag: "scales", What: "kernel scales"},
	{Flag: "cost", What: "reconstruction cost, or ground cost on critic features"},
	{Flag: "critic-reg", What: "what keeps the critic from collapsing the learned cost"},
	{Flag: "critic-loss", What: "what the critic of the learned cost minimises"},
	{Flag: "debias", What: "debiased minibatch Wasserstein"},
}

// SettingByName returns the Setting whose flag is name, or nil.
func SettingByName(name string) *Setting {
	for i := range Settings {
		if Settings[i].Flag == name {
			return &Settings[i]
		}
	}
	return nil
}
