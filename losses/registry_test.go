package losses

import (
	"os"
	"strings"
	"testing"

	"otgen/models"
)

// TestDocTableListsEveryLoss keeps doc.go's table of papers in step with
// the registry: every registered loss has a row with its Spec's variable.
func TestDocTableListsEveryLoss(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(strings.TrimPrefix(line, "//"))
		if len(f) > 1 {
			rows[f[0]] = true
		}
	}
	for _, s := range Specs() {
		if !rows[s.Name] {
			t.Errorf("doc.go has no row for %s", s.Name)
		}
	}
}

func TestLookupAliasesAndOrder(t *testing.T) {
	for alias, want := range map[string]string{"mbw": "minibatch-w", "POT": "aae", "wae-gan": "aae", " vae ": "vae", "minibatch-wasserstein": "minibatch-w"} {
		s, err := Lookup(alias)
		if err != nil || s.Name != want {
			t.Errorf("Lookup(%q) = %v, %v; want %s", alias, s, err, want)
		}
	}
	if _, err := Lookup("gan"); err == nil || !strings.Contains(err.Error(), "minibatch-w") {
		t.Errorf("unknown loss: %v, want an error listing the losses", err)
	}
	// The seven losses of the papers are listed in this order; later
	// losses may come between or after them by their Rank.
	var seven []string
	for _, n := range Names() {
		switch n {
		case "vae", "wae-mmd", "aae", "wgan", "wgan-gp", "sinkhorn", "minibatch-w":
			seven = append(seven, n)
		}
	}
	if strings.Join(seven, ",") != "vae,wae-mmd,aae,wgan,wgan-gp,sinkhorn,minibatch-w" {
		t.Errorf("Names() = %v", Names())
	}
}

// TestValidationMessagesAreOneRangePerSetting: a setting's message states
// the same range whatever the bad value (it said ">= 1" for k = 0 and
// ">= 0" for k = -2).
func TestValidationMessagesAreOneRangePerSetting(t *testing.T) {
	d := Data{Name: "8gaussians", Shape: []int{2}, Output: "linear"}
	for _, tc := range []struct {
		loss, want string
		set        func(*Config, float64)
	}{
		{"minibatch-w", "want an integer >= 1", func(c *Config, v float64) { c.K = int(v) }},
		{"sinkhorn", "want a finite number > 0", func(c *Config, v float64) { c.Eps = v }},
		{"wgan", "want an integer >= 1", func(c *Config, v float64) { c.NCritic = int(v) }},
	} {
		var msgs []string
		for _, v := range []float64{0, -2} {
			c := Defaults(Config{Name: tc.loss}, nil, d)
			tc.set(&c, v)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s value %v: %v, want %q", tc.loss, v, err, tc.want)
				continue
			}
			msgs = append(msgs, strings.Replace(err.Error(), "-2", "0", 1))
		}
		if len(msgs) == 2 && msgs[0] != msgs[1] {
			t.Errorf("%s: two ranges for one setting: %q vs %q", tc.loss, msgs[0], msgs[1])
		}
	}
}

// TestValidateOrderIsFixed: with several bad settings the first in
// Settings' order is reported, every time (Validate ranged over a map).
func TestValidateOrderIsFixed(t *testing.T) {
	c := Config{Name: "vae", Likelihood: "bernoulli", Lambda: -1, Clip: -1, Eps: -1, K: -1, M: -1}
	for i := 0; i < 50; i++ {
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "lambda") {
			t.Fatalf("run %d: %v, want the lambda error first", i, err)
		}
	}
}

func TestConfigureModelClearsAnUnusedCritic(t *testing.T) {
	mc := models.Config{Arch: "mlp", Hidden: []int{8}, Critic: []int{5}, CriticOn: models.CriticOnData}
	if err := ConfigureModel(Config{Name: "vae"}, &mc); err != nil {
		t.Fatal(err)
	}
	if mc.CriticOn != models.CriticNone || mc.Critic != nil || mc.Encoder != models.EncoderGaussian {
		t.Errorf("vae model config %+v", mc)
	}
	mc = models.Config{Arch: "mlp", Hidden: []int{8, 8}}
	ConfigureModel(Config{Name: "wgan"}, &mc)
	if mc.CriticOn != models.CriticOnData || len(mc.Critic) != 2 {
		t.Errorf("wgan model config %+v, want a data critic with the hidden widths", mc)
	}
	mc = models.Config{Arch: "mlp", Hidden: []int{8, 8}, Critic: []int{3}}
	ConfigureModel(Config{Name: "aae"}, &mc)
	if mc.CriticOn != models.CriticOnLatent || len(mc.Critic) != 1 || mc.Critic[0] != 3 {
		t.Errorf("aae model config %+v, want the given discriminator widths kept", mc)
	}
}

// TestWGANCelebADefaults: on CelebA wgan-gp and wgan (weight clipping)
// take one critic step per generator step at 2e-4 (faces within 30
// minutes on 2 cores, README); elsewhere Algorithm 1's five, at 1e-4 for
// wgan-gp and RMSProp 5e-5 for wgan; wgan's clipping bound stays 0.01, and
// a critic count the user sets stays.
func TestWGANCelebADefaults(t *testing.T) {
	for _, c := range []struct {
		loss    string
		data    string
		shape   []int
		set     int
		ncritic int
		lr      float64
	}{
		{"wgan-gp", "celeba", []int{3, 64, 64}, 0, 1, 2e-4},
		{"wgan-gp", "mnist", []int{1, 28, 28}, 0, 5, 1e-4},
		{"wgan-gp", "8gaussians", []int{2}, 0, 5, 1e-4},
		{"wgan-gp", "celeba", []int{3, 64, 64}, 5, 5, 2e-4},
		{"wgan", "celeba", []int{3, 64, 64}, 0, 1, 2e-4},
		{"wgan", "mnist", []int{1, 28, 28}, 0, 5, 5e-5},
		{"wgan", "8gaussians", []int{2}, 0, 5, 5e-5},
		{"wgan", "celeba", []int{3, 64, 64}, 5, 5, 2e-4},
	} {
		tr := Training{}
		cfg := Defaults(Config{Name: c.loss, NCritic: c.set}, &tr, Data{Name: c.data, Shape: c.shape, Output: "tanh"})
		if cfg.NCritic != c.ncritic || tr.LR != c.lr {
			t.Errorf("%s on %s, --n-critic %d: n_critic %d, lr %g; want %d, %g", c.loss, c.data, c.set, cfg.NCritic, tr.LR, c.ncritic, c.lr)
		}
		if c.loss == "wgan" && cfg.Clip != 0.01 {
			t.Errorf("wgan on %s: clip %g, want 0.01", c.data, cfg.Clip)
		}
	}
}

// TestLearnedImageDefaults: on images the learned costs take one critic
// step per generator step at 2e-4 on a one-dimensional feature (faces on
// CelebA within 15 minutes, MNIST FID below WGAN-GP's at 10; README); on
// the toys five steps at 1e-3 on 16 features; what the user sets stays.
func TestLearnedImageDefaults(t *testing.T) {
	for _, name := range []string{"sinkhorn-gan", "minibatch-w-gan"} {
		for _, c := range []struct {
			data              string
			shape             []int
			setCritic, setDim int
			ncritic, dim      int
			lr                float64
		}{
			{"celeba", []int{3, 64, 64}, 0, 0, 1, 1, 2e-4},
			{"mnist", []int{1, 28, 28}, 0, 0, 1, 1, 2e-4},
			{"8gaussians", []int{2}, 0, 0, 5, 16, 1e-3},
			{"celeba", []int{3, 64, 64}, 5, 64, 5, 64, 2e-4},
		} {
			if name == "sinkhorn-gan" && c.data == "mnist" {
				// Its MNIST critic, the repulsive one, on 16 features
				// at 8e-4 (4e-4 for the divergence critic).
				c.lr = 8e-4
				if c.setDim == 0 {
					c.dim = 16
				}
			}
			tr := Training{}
			cfg := Defaults(Config{Name: name, NCritic: c.setCritic, Features: c.setDim}, &tr, Data{Name: c.data, Shape: c.shape, Output: "tanh"})
			if cfg.NCritic != c.ncritic || cfg.Features != c.dim || tr.LR != c.lr {
				t.Errorf("%s on %s, set %d critic steps and %d features: n_critic %d, features %d, lr %g; want %d, %d, %g",
					name, c.data, c.setCritic, c.setDim, cfg.NCritic, cfg.Features, tr.LR, c.ncritic, c.dim, c.lr)
			}
		}
	}
}

// TestSinkhornGANImageCost: on images sinkhorn-gan's ground cost is
// ‖f(x) − f(y)‖ at ε 100 (near the energy distance of the features, README
// "MNIST quality table"); on the toys, or with the squared cost the user
// chose, ‖f(x) − f(y)‖² at ε 1; minibatch-w-gan keeps the squared cost; what
// the user sets stays.
func TestSinkhornGANImageCost(t *testing.T) {
	mnist := Data{Name: "mnist", Shape: []int{1, 28, 28}, Output: "sigmoid"}
	celeba := Data{Name: "celeba", Shape: []int{3, 64, 64}, Output: "tanh"}
	toy := Data{Name: "8gaussians", Shape: []int{2}, Output: "linear"}
	for _, c := range []struct {
		in   Config
		d    Data
		cost string
		eps  float64
	}{
		{Config{Name: "sinkhorn-gan"}, mnist, costEuclid, 100},
		{Config{Name: "sinkhorn-gan"}, celeba, costEuclid, 100},
		{Config{Name: "sinkhorn-gan"}, toy, costSqEuclid, 1},
		{Config{Name: "sinkhorn-gan", Cost: costSqEuclid}, mnist, costSqEuclid, 1},
		{Config{Name: "sinkhorn-gan", Eps: 10}, mnist, costEuclid, 10},
		{Config{Name: "sinkhorn-gan", Cost: costEuclid}, toy, costEuclid, 1},
		{Config{Name: "minibatch-w-gan"}, mnist, costSqEuclid, 0},
	} {
		got := Defaults(c.in, &Training{}, c.d)
		if got.Cost != c.cost || got.Eps != c.eps {
			t.Errorf("%s on %s, cost %q ε %g set: cost %q ε %g, want %q ε %g",
				c.in.Name, c.d.Name, c.in.Cost, c.in.Eps, got.Cost, got.Eps, c.cost, c.eps)
		}
	}
}
