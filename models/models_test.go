package models

import (
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

func testConfig() Config {
	return Config{Arch: "mlp", DataShape: []int{1, 4, 4}, Latent: 3, Hidden: []int{8, 6},
		Activation: "relu", Output: "sigmoid", Encoder: "gaussian", Prior: "gaussian", Seed: 1,
		Critic: []int{5}, CriticOn: "data"}
}

func TestModelShapesAndNames(t *testing.T) {
	m, err := New(testConfig(), tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	want := "enc.0.w enc.0.b enc.2.w"
	_ = want
	names := strings.Join(m.Store.Names(), " ")
	for _, n := range []string{"enc.0.w", "enc.1.w", "enc.mean.w", "enc.logvar.b", "dec.0.w", "dec.2.w", "critic.0.w", "critic.1.b"} {
		if !strings.Contains(names, n) {
			t.Errorf("parameter %s missing from %s", n, names)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	z := make([]float32, 5*3)
	m.SamplePrior(rng, z)
	x, err := m.Generate(z, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != 5*16 {
		t.Fatalf("generated %d values", len(x))
	}
	for _, v := range x {
		if v <= 0 || v >= 1 {
			t.Fatalf("sigmoid output %v outside (0,1)", v)
		}
	}
	r, err := m.Reconstruct(x, 5)
	if err != nil || len(r) != len(x) {
		t.Fatalf("reconstruct: %d values, %v", len(r), err)
	}
	if _, err := m.Generate(z[:4], 5); err == nil {
		t.Error("wrong latent length accepted")
	}
	// Same seed, same parameters; another seed, others.
	m2, _ := New(testConfig(), tensor.Float32)
	cfg := testConfig()
	cfg.Seed = 2
	m3, _ := New(cfg, tensor.Float32)
	a, b, c := m.Store.Tensors()[0].Data, m2.Store.Tensors()[0].Data, m3.Store.Tensors()[0].Data
	if a[0] != b[0] || a[0] == c[0] {
		t.Errorf("seeded init: %v %v %v", a[0], b[0], c[0])
	}
}

func TestConfigErrors(t *testing.T) {
	muts := map[string]func(*Config){
		"arch":          func(c *Config) { c.Arch = "resnet" },
		"latent":        func(c *Config) { c.Latent = 0 },
		"hidden":        func(c *Config) { c.Hidden = []int{8, -1} },
		"act":           func(c *Config) { c.Activation = "swish" },
		"output":        func(c *Config) { c.Output = "softmax" },
		"encoder":       func(c *Config) { c.Encoder = "flow" },
		"prior":         func(c *Config) { c.Prior = "laplace" },
		"shape":         func(c *Config) { c.DataShape = nil },
		"critic":        func(c *Config) { c.CriticOn = "both" },
		"norm":          func(c *Config) { c.Norm = "layer" },
		"mlpnorm":       func(c *Config) { c.Norm = "batch" }, // batch norm is for dcgan only
		"criticnorm":    func(c *Config) { c.CriticNorm = "batch" },
		"mlpcriticnorm": func(c *Config) { c.CriticNorm = "none" }, // the mlp critic has no norm to drop
	}
	for name, f := range muts {
		c := testConfig()
		f(&c)
		if _, err := New(c, tensor.Float32); err == nil {
			t.Errorf("%s: invalid config accepted", name)
		}
	}
}
