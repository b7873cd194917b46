package train

import (
	"os"
	"syscall"
	"testing"
	"time"

	"otgen/nn"
)

// The networks of ../shared/peers/torch_dcgan_mnist.py at batch 64: a
// DCGAN of base width 64 (generator z → 128·7·7 → convT 64 → convT 1,
// critic/encoder conv 64 → conv 128 → linear, without normalisation, so
// the MNIST critic is built with CriticNorm "none"), and the WAE's MLP
// latent discriminator 8→512→512→512→512→1; and those of
// tools/peers/torch_dcgan64.py, whose critic has otgen's LayerNorm.
func benchConvRun(b *testing.B, data, loss string, edit func(*Config)) *Run {
	b.Helper()
	skipWithoutData(b)
	cfg, err := DefaultConfig(data, loss)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Out = b.TempDir()
	cfg.Model.Arch = "dcgan"
	cfg.Model.Hidden = nil
	cfg.Model.Channels = 64
	cfg.Batch = 64
	if cfg.Loss.M > cfg.Batch {
		cfg.Loss.M = cfg.Batch
	}
	if edit != nil {
		edit(&cfg)
	}
	return benchRun(b, cfg)
}

// skipWithoutData skips a benchmark that reads real images when
// $OTGEN_DATA is not set.
func skipWithoutData(b *testing.B) {
	b.Helper()
	if os.Getenv("OTGEN_DATA") == "" {
		b.Skip("OTGEN_DATA not set: the conv benchmarks read real images from $OTGEN_DATA")
	}
}

// benchRun starts the run of cfg for a benchmark, closed at its end.
func benchRun(b *testing.B, cfg Config) *Run {
	b.Helper()
	r, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	b.Logf("BLAS: %s", nn.BLAS)
	return r
}

// benchSteps times runs of the objective's steps listed in which (one
// iteration when which is nil), after one warm-up iteration. Besides the
// wall time it reports the CPU time of the process per step (cpu-ms/op, all
// threads, BLAS threads included), which a loaded machine inflates less.
func benchSteps(b *testing.B, r *Run, which []int) {
	if err := r.iterate(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	defer func() {
		b.StopTimer()
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if which == nil {
			if err := r.iterate(); err != nil {
				b.Fatal(err)
			}
			continue
		}
		for _, s := range which {
			if err := r.runStep(s, true); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkDCGANCriticStep: one WGAN-GP critic update (λ 10) on MNIST
// (torch_dcgan_mnist.py critic_step).
func BenchmarkDCGANCriticStep(b *testing.B) {
	r := benchConvRun(b, "mnist", "wgan-gp", func(c *Config) {
		c.Model.Latent = 64
		c.Model.CriticNorm = "none"
	})
	benchSteps(b, r, []int{0})
}

// BenchmarkDCGANGeneratorStep: one WGAN-GP generator update on MNIST
// (torch_dcgan_mnist.py gen_step).
func BenchmarkDCGANGeneratorStep(b *testing.B) {
	r := benchConvRun(b, "mnist", "wgan-gp", func(c *Config) {
		c.Model.Latent = 64
		c.Model.CriticNorm = "none"
	})
	benchSteps(b, r, []int{1})
}

// BenchmarkWAEGANStep: one WAE-GAN (POT/AAE) iteration on MNIST: latent
// discriminator update + encoder/decoder update (torch_dcgan_mnist.py
// wae_gan_step).
func BenchmarkWAEGANStep(b *testing.B) {
	r := benchConvRun(b, "mnist", "aae", func(c *Config) {
		c.Model.Latent = 8
		c.Model.Critic = []int{512, 512, 512, 512}
	})
	benchSteps(b, r, nil)
}

// BenchmarkWAEGANDiscStep: the WAE-GAN's latent discriminator update alone
// (torch_dcgan_mnist.py wae_gan_dz_part).
func BenchmarkWAEGANDiscStep(b *testing.B) {
	r := benchConvRun(b, "mnist", "aae", func(c *Config) {
		c.Model.Latent = 8
		c.Model.Critic = []int{512, 512, 512, 512}
	})
	benchSteps(b, r, []int{0})
}

// BenchmarkWAEMMDStep: one WAE-MMD encoder/decoder update on MNIST
// (torch_dcgan_mnist.py wae_mmd_step).
func BenchmarkWAEMMDStep(b *testing.B) {
	r := benchConvRun(b, "mnist", "wae-mmd", func(c *Config) { c.Model.Latent = 8 })
	benchSteps(b, r, nil)
}

// BenchmarkDCGAN64GeneratorStep and BenchmarkDCGAN64CriticStep: WGAN-GP
// steps of the 64×64 DCGAN of base width 64 on CelebA, batch 64
// (tools/peers/torch_dcgan64.py).
func BenchmarkDCGAN64CriticStep(b *testing.B) {
	r := benchConvRun(b, "celeba", "wgan-gp", func(c *Config) { c.Data.Limit = 1024 })
	benchSteps(b, r, []int{0})
}

func BenchmarkDCGAN64GeneratorStep(b *testing.B) {
	r := benchConvRun(b, "celeba", "wgan-gp", func(c *Config) { c.Data.Limit = 1024 })
	benchSteps(b, r, []int{1})
}

// cpuTime returns the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMNISTIteration times one training iteration (critic and
// generator step) of the MNIST quality comparison's runs: cmd/train --data
// mnist --arch dcgan --batch 64 with sinkhorn-gan at its defaults and
// WGAN-GP with one critic step per generator step (--n-critic 1; the rate
// does not change the time), so their ratio is the ratio of their steps in
// an equal wall-clock budget.
func BenchmarkMNISTIteration(b *testing.B) {
	for _, loss := range []string{"sinkhorn-gan", "wgan-gp"} {
		b.Run(loss, func(b *testing.B) {
			skipWithoutData(b)
			cfg, err := DefaultConfig("mnist", loss)
			if err != nil {
				b.Fatal(err)
			}
			if err := cfg.UseArch("dcgan"); err != nil {
				b.Fatal(err)
			}
			cfg.Out, cfg.Batch = b.TempDir(), 64
			if loss == "wgan-gp" {
				cfg.Loss.NCritic = 1
			}
			benchSteps(b, benchRun(b, cfg), nil)
		})
	}
}
