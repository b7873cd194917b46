package lossflags

import (
	"flag"
	"strings"
	"testing"

	"otgen/losses"
)

var mnist = losses.Data{Name: "mnist", Shape: []int{1, 28, 28}, Output: "sigmoid"}

// TestDeriveFollowsGivenSettings: the settings not given are the loss's
// defaults given those that are (sinkhorn-gan's ε follows its cost), a
// given value the defaults would replace stays, and nothing given changes
// nothing.
func TestDeriveFollowsGivenSettings(t *testing.T) {
	def := losses.Defaults(losses.Config{Name: "sinkhorn-gan"}, &losses.Training{}, mnist)
	if def.Cost != "euclidean" || def.Eps != 100 {
		t.Fatalf("sinkhorn-gan's image defaults are %q at ε %v; this test assumes euclidean at 100", def.Cost, def.Eps)
	}
	c := def
	if err := Derive(&c, map[string]string{"cost": "sqeuclidean"}, &losses.Training{}, mnist); err != nil {
		t.Fatal(err)
	}
	if c.Cost != "sqeuclidean" || c.Eps != 1 {
		t.Errorf("cost sqeuclidean: %q at ε %v, want sqeuclidean at 1", c.Cost, c.Eps)
	}
	c = def
	if err := Derive(&c, map[string]string{"cost": "sqeuclidean", "eps": "30"}, &losses.Training{}, mnist); err != nil {
		t.Fatal(err)
	}
	if c.Eps != 30 {
		t.Errorf("given ε 30, got %v", c.Eps)
	}
	c = def
	if err := Derive(&c, map[string]string{"lambda": "0"}, &losses.Training{}, mnist); err != nil {
		t.Fatal(err)
	}
	if c.Lambda != 0 {
		t.Errorf("given λ 0, got %v (the default replaced it)", c.Lambda)
	}
	c = def
	c.Eps = 7
	if err := Derive(&c, nil, &losses.Training{}, mnist); err != nil || c.Eps != 7 {
		t.Errorf("nothing given: ε %v, error %v; want 7 unchanged", c.Eps, err)
	}
}

// TestDeriveErrors: an unknown setting or a value that does not parse is an
// error naming the flag.
func TestDeriveErrors(t *testing.T) {
	for name, v := range map[string]string{"bogus": "1", "n-critic": "x", "cost": "manhattan", "scales": "a,b"} {
		c := losses.Config{Name: "sinkhorn-gan"}
		err := Derive(&c, map[string]string{name: v}, &losses.Training{}, mnist)
		if err == nil || !strings.Contains(err.Error(), "--"+name) {
			t.Errorf("%s=%s: %v, want an error naming --%s", name, v, err, name)
		}
	}
}

// TestBindCoversEverySetting: every loss setting has its flag.
func TestBindCoversEverySetting(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	Bind(fs, &losses.Config{}, nil)
	for _, st := range losses.Settings {
		if fs.Lookup(st.Flag) == nil {
			t.Errorf("no flag --%s", st.Flag)
		}
	}
}
