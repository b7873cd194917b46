package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Ints is a flag.Value for a comma-separated list of positive integers,
// such as layer widths ("--hidden 512,256") or minibatch sizes. Bind a
// []int field with fs.Var((*cli.Ints)(&cfg.Hidden), ...): the flag's
// default is the field's value.
type Ints []int

// String returns the list as the user writes it.
func (v *Ints) String() string {
	if v == nil {
		return ""
	}
	parts := make([]string, len(*v))
	for i, n := range *v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

// Set parses s, replacing the list. An empty string is the empty list.
func (v *Ints) Set(s string) error {
	out := []int{}
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	*v = out
	return nil
}

// Floats is a flag.Value for a comma-separated list of finite numbers
// ("--eps 0.01,0.1,1").
type Floats []float64

// String returns the list as the user writes it.
func (v *Floats) String() string {
	if v == nil {
		return ""
	}
	parts := make([]string, len(*v))
	for i, x := range *v {
		parts[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// Set parses s, replacing the list.
func (v *Floats) Set(s string) error {
	out := []float64{}
	for _, f := range splitList(s) {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%q is not a finite number", f)
		}
		out = append(out, x)
	}
	*v = out
	return nil
}

// Uints is a flag.Value for a comma-separated list of non-negative
// integers, such as seeds ("--seeds 1,2,3").
type Uints []uint64

// String returns the list as the user writes it.
func (v *Uints) String() string {
	if v == nil {
		return ""
	}
	parts := make([]string, len(*v))
	for i, n := range *v {
		parts[i] = strconv.FormatUint(n, 10)
	}
	return strings.Join(parts, ",")
}

// Set parses s, replacing the list.
func (v *Uints) Set(s string) error {
	out := []uint64{}
	for _, f := range splitList(s) {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a non-negative integer", f)
		}
		out = append(out, n)
	}
	*v = out
	return nil
}

// Strings is a flag.Value for a comma-separated list of names
// ("--losses vae,wgan-gp").
type Strings []string

// String returns the list as the user writes it.
func (v *Strings) String() string {
	if v == nil {
		return ""
	}
	return strings.Join(*v, ",")
}

// Set parses s, replacing the list.
func (v *Strings) Set(s string) error {
	*v = splitList(s)
	return nil
}

// splitList splits a comma-separated list, trimming spaces and dropping
// nothing: an empty item is kept so that Set can reject it.
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// Choice is a flag.Value for a string-typed setting with a fixed set of
// values ("--prior gaussian|uniform"): a typo is an error at parse time
// instead of a silent fallback. Bind it with fs.Var(cli.OneOf(&cfg.Prior,
// "gaussian", "uniform"), ...).
type Choice[T ~string] struct {
	p       *T
	allowed []T
}

// OneOf returns a Choice bound to p that accepts the allowed values.
func OneOf[T ~string](p *T, allowed ...T) *Choice[T] { return &Choice[T]{p: p, allowed: allowed} }

// String returns the bound value.
func (c *Choice[T]) String() string {
	if c == nil || c.p == nil {
		return ""
	}
	return string(*c.p)
}

// Set accepts one of the allowed values.
func (c *Choice[T]) Set(s string) error {
	for _, a := range c.allowed {
		if string(a) == s {
			*c.p = a
			return nil
		}
	}
	names := make([]string, len(c.allowed))
	for i, a := range c.allowed {
		names[i] = string(a)
	}
	return fmt.Errorf("%q is not one of %s", s, strings.Join(names, ", "))
}
