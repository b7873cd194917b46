package train

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"otgen/dist"
)

// The data-parallel benchmarks time the WGAN-GP critic steps of
// BenchmarkDCGANCriticStep (MNIST) and BenchmarkDCGAN64CriticStep (CelebA
// 64×64) at the same global batch of 64, on the ranks of the job that runs
// the test binary: one process, or N ranks when the binary was built with
// -tags mpi and started by mpirun (each rank then computes 64/N examples).
// Every rank must run the same number of steps, so give a fixed count, and
// run one benchmark per job (the last run finalises MPI):
//
//	go test -c -tags openblas,mpi -o train.test ./train
//	GOMAXPROCS=2 OPENBLAS_NUM_THREADS=2 ./train.test -test.run '^$' -test.bench 'DistDCGANCriticStep$' -test.benchtime 20x
//	mpirun -np 2 -x GOMAXPROCS=1 -x OPENBLAS_NUM_THREADS=1 ./train.test -test.run '^$' -test.bench 'DistDCGANCriticStep$' -test.benchtime 20x
//
// They report the bytes of the step's fused allreduce and the share of the
// step spent in it (waiting for the slowest rank included).

func BenchmarkDistDCGANCriticStep(b *testing.B) {
	benchDistCritic(b, "mnist", func(c *Config) { c.Model.Latent = 64 })
}

func BenchmarkDistDCGAN64CriticStep(b *testing.B) {
	benchDistCritic(b, "celeba", func(c *Config) { c.Data.Limit = 1024 })
}

func benchDistCritic(b *testing.B, data string, edit func(*Config)) {
	comm, err := dist.World()
	if err != nil {
		b.Fatal(err)
	}
	r := benchConvRun(b, data, "wgan-gp", func(c *Config) {
		edit(c)
		c.Comm = comm
	})
	var inReduce time.Duration
	r.dist.onReduce = func(d time.Duration) { inReduce += d }
	if err := r.iterate(); err != nil { // warm-up
		b.Fatal(err)
	}
	inReduce = 0
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := r.runStep(0, true); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	st := r.obj.Steps[0]
	n := 0
	for _, p := range st.Params {
		n += p.Shape().TotalSize()
	}
	b.ReportMetric(float64(4*n), "allreduce-B/step")
	b.ReportMetric(float64(r.LocalBatch()), "examples/rank")
	if r.Ranks() > 1 {
		b.ReportMetric(100*inReduce.Seconds()/elapsed.Seconds(), "%allreduce")
	}
	if b.N == fixedBenchCount() {
		if err := comm.Finalize(); err != nil {
			b.Fatal(err)
		}
	}
}

// fixedBenchCount returns N of -test.benchtime Nx, or -1.
func fixedBenchCount() int {
	f := flag.Lookup("test.benchtime")
	if f == nil {
		return -1
	}
	var n int
	if s := f.Value.String(); strings.HasSuffix(s, "x") {
		if _, err := fmt.Sscanf(s, "%dx", &n); err == nil {
			return n
		}
	}
	return -1
}
