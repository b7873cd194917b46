package bench

import (
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"otgen/sgemm"
)

// benchShape is one product of the benchmarks: op(A) m×k times op(B) k×n.
type benchShape struct {
	name    string
	tA, tB  blas.Transpose
	m, n, k int
}

// benchShapes: a square-ish product and the gemms of the DCGAN train steps
// (batch 64, base width 64, kernel 4, stride 2, pad 1; see nn/conv.go and
// models/dcgan.go). A convolution's forward product is im2col rows
// (N·OH·OW)×(In·16) times weights (In·16)×Out; its weight gradient the
// transposed rows times the output gradient (TN); its input gradient the
// output gradient times the transposed weights (NT). A transposed
// convolution's forward product is input rows (N·H·W)×In times weights
// In×(Out·16).
var benchShapes = []benchShape{
	{"256x512x512", blas.NoTrans, blas.NoTrans, 256, 512, 512},
	// MNIST 28×28 critic: conv 1→64 (28→14), conv 64→128 (14→7).
	{"mnist.c0.fwd", blas.NoTrans, blas.NoTrans, 12544, 64, 16},
	{"mnist.c0.dW", blas.Trans, blas.NoTrans, 16, 64, 12544},
	{"mnist.c0.dX", blas.NoTrans, blas.Trans, 12544, 16, 64},
	{"mnist.c1.fwd", blas.NoTrans, blas.NoTrans, 3136, 128, 1024},
	{"mnist.c1.dW", blas.Trans, blas.NoTrans, 1024, 128, 3136},
	{"mnist.c1.dX", blas.NoTrans, blas.Trans, 3136, 1024, 128},
	// MNIST generator: linear 64→128·7·7, convT 128→64 (7→14), convT 64→1.
	{"mnist.fc.fwd", blas.NoTrans, blas.NoTrans, 64, 6272, 64},
	{"mnist.t0.fwd", blas.NoTrans, blas.NoTrans, 3136, 1024, 128},
	{"mnist.t0.dX", blas.NoTrans, blas.Trans, 3136, 128, 1024},
	{"mnist.t0.dW", blas.Trans, blas.NoTrans, 128, 1024, 3136},
	{"mnist.t1.fwd", blas.NoTrans, blas.NoTrans, 12544, 16, 64},
	{"mnist.t1.dX", blas.NoTrans, blas.Trans, 12544, 64, 16},
	{"mnist.t1.dW", blas.Trans, blas.NoTrans, 64, 16, 12544},
	// CelebA 64×64 critic: conv 3→64→128→256→512 (64→32→16→8→4).
	{"celeba.c0.fwd", blas.NoTrans, blas.NoTrans, 65536, 64, 48},
	{"celeba.c1.fwd", blas.NoTrans, blas.NoTrans, 16384, 128, 1024},
	{"celeba.c1.dW", blas.Trans, blas.NoTrans, 1024, 128, 16384},
	{"celeba.c2.fwd", blas.NoTrans, blas.NoTrans, 4096, 256, 2048},
	{"celeba.c3.fwd", blas.NoTrans, blas.NoTrans, 1024, 512, 4096},
	// CelebA generator: convT 512→256→128→64→3 (4→8→16→32→64).
	{"celeba.t0.fwd", blas.NoTrans, blas.NoTrans, 1024, 4096, 512},
	{"celeba.t1.fwd", blas.NoTrans, blas.NoTrans, 4096, 2048, 256},
	{"celeba.t2.fwd", blas.NoTrans, blas.NoTrans, 16384, 1024, 128},
	{"celeba.t3.fwd", blas.NoTrans, blas.NoTrans, 65536, 48, 64},
}

// benchImpl is a Sgemm under benchmark; desc describes it for the log.
type benchImpl struct {
	name string
	impl blas.Float32
	desc func() string
}

// benchImpls lists the implementations compared; the openblas build adds
// OpenBLAS.
var benchImpls = []benchImpl{
	{"otgen", sgemm.Implementation{}, func() string { return "otgen/sgemm kernel " + sgemm.Kernel() }},
	{"gonum", gonum.Implementation{}, func() string { return "gonum" }},
}

// BenchmarkSgemm reports GFLOP/s (2·m·n·k per product, wall clock) and
// GFLOP/cpu-s (per second of process CPU time) of each implementation at
// each shape, C = A·B with beta 0 as nn's gemm op calls it. Run one
// implementation with -bench 'Sgemm/otgen/'; GOMAXPROCS=1 and
// OPENBLAS_NUM_THREADS=1 compare single cores.
func BenchmarkSgemm(b *testing.B) {
	for _, im := range benchImpls {
		b.Run(im.name, func(b *testing.B) {
			b.Logf("%s: %s", im.name, im.desc())
			for _, s := range benchShapes {
				b.Run(s.name, func(b *testing.B) { benchOne(b, im.impl, s) })
			}
		})
	}
}

func benchOne(b *testing.B, impl blas.Float32, s benchShape) {
	lda, ldb := s.k, s.n
	if s.tA != blas.NoTrans {
		lda = s.m
	}
	if s.tB != blas.NoTrans {
		ldb = s.k
	}
	x := make([]float32, s.m*s.k)
	y := make([]float32, s.k*s.n)
	c := make([]float32, s.m*s.n)
	for i := range x {
		x[i] = float32(i%7) - 3.5
	}
	for i := range y {
		y[i] = float32(i%5) - 2.5
	}
	impl.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, x, lda, y, ldb, 0, c, s.n)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		impl.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, x, lda, y, ldb, 0, c, s.n)
	}
	cpu := cpuTime() - cpu0
	flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 {
		// Flops per second of CPU time used by the process (all threads):
		// less sensitive than GFLOP/s to other programs on a shared machine.
		b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/cpu-s")
	}
}
