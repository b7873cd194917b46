package main

import (
	"fmt"
	"image"
	"io"
	"math"
	"math/rand/v2"
	"otgen/dist"
	"slices"

	"gonum.org/v1/gonum/mat"

	"otgen/internal/cli"
	"otgen/internal/progress"
	"otgen/internal/term"
	"otgen/ot"
	"otgen/viz"
)

// plansConfig is what the 1-D plan figure shows.
type plansConfig struct {
	n      int
	ms     []int
	eps    []float64
	epochs int
	seed   uint64
}

// namedPlan is one n×n transport plan of the figure.
type namedPlan struct {
	title string
	plan  *mat.Dense
}

const plansHeader = `Usage: ot plans [flags]

Draws n source points from N(0, 1) and n target points from N(2, 0.5²) on the line and
shows, as heat maps with the points sorted, the minibatch transport plan estimator
(Fatras et al. 2020, eq. 6) for each m (top row; m = n is exact OT) and the entropic
plan for each eps (bottom row).`

// plans draws the figure on rank 0 alone (a small computation: it is not
// spread over the ranks of a job, whose other ranks end at once); its
// errors are marked dist.Shared, since no other rank waits for it.
func plans(comm *dist.Comm, args []string, stdout, stderr io.Writer) error {
	if comm.Rank() != 0 {
		return nil
	}
	return dist.Shared(plansOne(args, stdout, stderr))
}

func plansOne(args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("plans", stderr, plansHeader)
	c := plansConfig{ms: []int{1, 2, 5, 10, 20}, eps: []float64{0.01, 0.1, 1}}
	var out string
	fs.IntVar(&c.n, "n", 20, "source points and target points")
	fs.Var((*cli.Ints)(&c.ms), "m", "minibatch sizes, comma separated (each at most n; empty: no minibatch row)")
	fs.Var((*cli.Floats)(&c.eps), "eps", "entropic regularisations of the Sinkhorn plans, comma separated (squared-distance units; empty: no entropic row)")
	fs.IntVar(&c.epochs, "epochs", 5000, "minibatch pairs per source point: k = epochs·n/m pairs for each m")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the points and of the minibatches")
	fs.StringVar(&out, "out", "plans.png", "output figure: .png, or .jpg/.jpeg for JPEG")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	for _, e := range c.eps {
		if !(e > 0) {
			return fmt.Errorf("--eps %g: want finite values > 0", e)
		}
	}
	if err := checkOut(out); err != nil {
		return err
	}
	figure, list, err := c.figure(stderr, term.IsTerminal(stderr))
	if err != nil {
		return err
	}
	for _, p := range list {
		fmt.Fprintf(stderr, "%s: largest marginal error %.2g\n", p.title, marginalError(p.plan))
	}
	if err := saveImage(out, figure); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "wrote", out)
	return nil
}

// points returns the sorted 1-D source and target points of the figure.
func (c *plansConfig) points() (x, y []float64) {
	rng := rand.New(rand.NewPCG(c.seed, 0x1d))
	x, y = make([]float64, c.n), make([]float64, c.n)
	for i := range x {
		x[i] = rng.NormFloat64()
		y[i] = 2 + 0.5*rng.NormFloat64()
	}
	slices.Sort(x)
	slices.Sort(y)
	return x, y
}

// compute returns the minibatch plans (one per m) and the entropic plans
// (one per eps), each n×n with marginals 1/n. With m dividing n, the
// minibatches are "epoch" draws, so every point is drawn equally often and
// the marginals are exactly 1/n; otherwise they are independent uniform
// draws and the marginals are 1/n only on average.
func (c *plansConfig) compute(progress func(done, total int)) ([]namedPlan, []namedPlan, error) {
	if c.n < 2 || c.n > 1000 {
		return nil, nil, fmt.Errorf("--n %d: want 2 to 1000", c.n)
	}
	if len(c.ms) == 0 && len(c.eps) == 0 {
		return nil, nil, fmt.Errorf("nothing to draw: give --m or --eps")
	}
	if c.epochs < 1 {
		return nil, nil, fmt.Errorf("--epochs %d: want at least 1", c.epochs)
	}
	for _, m := range c.ms {
		if m < 1 || m > c.n {
			return nil, nil, fmt.Errorf("--m %d larger than the %d points (want 1 <= m <= n)", m, c.n)
		}
	}
	x, y := c.points()
	X, Y := mat.NewDense(c.n, 1, x), mat.NewDense(c.n, 1, y)
	total, done := len(c.ms)+len(c.eps), 0
	var mb, ent []namedPlan
	for _, m := range c.ms {
		k := (c.epochs*c.n + m - 1) / m
		sampling := "iid"
		if c.n%m == 0 {
			sampling = "epoch"
		}
		res, err := ot.MinibatchPlan(X, Y, &ot.MinibatchOptions{M: m, K: k, Solver: "1d", Sampling: sampling, Seed: c.seed})
		if err != nil {
			return nil, nil, fmt.Errorf("minibatch plan m = %d: %w", m, err)
		}
		P := mat.NewDense(c.n, c.n, nil)
		for _, e := range res.Plan.Entries {
			P.Set(e.I, e.J, e.W)
		}
		mb = append(mb, namedPlan{fmt.Sprintf("minibatch m = %d, k = %d", m, k), P})
		done++
		progress(done, total)
	}
	C, err := ot.Cost(X, Y, 2)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range c.eps {
		res, err := ot.Sinkhorn(nil, nil, C, e, &ot.SinkhornOptions{Plan: true, MaxIter: 100_000})
		if err != nil {
			return nil, nil, fmt.Errorf("entropic plan eps = %g: %w", e, err)
		}
		ent = append(ent, namedPlan{fmt.Sprintf("entropic eps = %g", e), res.Plan})
		done++
		progress(done, total)
	}
	return mb, ent, nil
}

// figure computes the plans and draws them as heat maps, minibatch plans
// in the top row and entropic plans in the bottom row.
func (c *plansConfig) figure(stderr io.Writer, tty bool) (*image.RGBA, []namedPlan, error) {
	var p *progress.Bar
	mb, ent, err := c.compute(func(done, total int) {
		if p == nil {
			p = progress.New(stderr, tty, "plans", total, nil)
		}
		p.Set(done, "")
	})
	if p != nil {
		p.Finish()
	}
	if err != nil {
		return nil, nil, err
	}
	var rows []image.Image
	for _, list := range [][]namedPlan{mb, ent} {
		if len(list) == 0 {
			continue
		}
		var panels []image.Image
		for _, np := range list {
			hm, err := viz.Heatmap(np.plan.RawMatrix().Data, c.n, c.n, np.title)
			if err != nil {
				return nil, nil, err
			}
			panels = append(panels, fit(hm, 400))
		}
		row, err := viz.SidePanels(panels...)
		if err != nil {
			return nil, nil, err
		}
		rows = append(rows, row)
	}
	return stackRows(rows...), append(mb, ent...), nil
}

// marginalError is the largest distance of a row or column sum of the n×n
// plan P from 1/n.
func marginalError(P *mat.Dense) float64 {
	n, _ := P.Dims()
	worst := 0.0
	for i := 0; i < n; i++ {
		worst = math.Max(worst, math.Abs(mat.Sum(P.RowView(i))-1/float64(n)))
		worst = math.Max(worst, math.Abs(mat.Sum(P.ColView(i))-1/float64(n)))
	}
	return worst
}
