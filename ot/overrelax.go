package ot

import "math"

// sorControl chooses the over-relaxation parameter from the sequence of
// marginal errors.
//
// Sinkhorn's linear rate often changes along the run: a fast transient,
// then a slower asymptotic rate (the second eigenvalue of the linearised
// iteration), so that w chosen from an early theta is too small and the
// over-relaxed iterations crawl at a rate far above the w-1 they promise
// (an instance of otgen's benchmark clouds, d=2 n=500: theta 0.92 at first,
// 0.999 later; w = 1.56 then needs 3500 iterations, plain Sinkhorn 11000).
// So the rate keeps being measured under w: once it is steady and clearly
// slower than w-1, theta is recovered from it through the SOR relation
// (r + w - 1)^2 = r w^2 theta (Young's theorem for the real root r of the
// over-relaxed iteration on the eigenvalue theta) and w is raised to
// 2/(1+sqrt(1-theta)).
type sorControl struct {
	hist    [7]float64 // the last errors, newest last
	n       int        // errors recorded since the last change of w
	omega   float64
	prev    float64 // the previous w (1 before the first)
	best    float64
	raises  int
	stopped bool
}

// sorMaxRaises bounds the number of times w is raised.
const sorMaxRaises = 16

// steadyRate returns the rate of decay of the last errors and whether it
// is steady (the same over two overlapping windows of five iterations).
func (c *sorControl) steadyRate() (float64, bool) {
	h := c.hist
	th1 := math.Pow(h[6]/h[1], 0.2)
	th0 := math.Pow(h[5]/h[0], 0.2)
	return th1, th1 > 0 && th1 < 1 && math.Abs(th1-th0) < 0.01*(1-th1)+1e-3
}

// sorOmega is the optimal w = 2/(1+sqrt(1-theta)) rounded up to a coarse
// grid (so that rounding differences in the errors, e.g. the number of
// workers, rarely change it), at most 1.95. Up, because the rate of the
// over-relaxed iteration is w-1 above the optimum but rises like a square
// root below it.
func sorOmega(theta float64) float64 {
	w := 2 / (1 + math.Sqrt(1-theta))
	w = math.Ceil(w*64) / 64
	return math.Min(w, 1.95)
}

func (c *sorControl) record(err float64) {
	copy(c.hist[:], c.hist[1:])
	c.hist[len(c.hist)-1] = err
	c.n++
}

// next records the error of the iteration just done and returns the
// parameter of the next one.
func (c *sorControl) next(err float64) float64 {
	if c.stopped {
		return c.omega
	}
	if c.omega > 1 {
		c.best = math.Min(c.best, err)
		if !(err <= 100*c.best) { // diverging (or NaN): back to the last safe w
			c.stopped = true
			c.omega = c.prev
			return c.omega
		}
		c.record(err)
		if c.n < 10 || c.raises >= sorMaxRaises {
			return c.omega
		}
		r, ok := c.steadyRate()
		w := c.omega
		if !ok || r <= (w-1)+0.25*(2-w) {
			return c.omega
		}
		theta := (r + w - 1) * (r + w - 1) / (r * w * w)
		if !(theta > 0 && theta < 1) {
			return c.omega
		}
		if nw := sorOmega(theta); nw > w+1.0/64 {
			c.prev, c.omega = w, nw
			c.best, c.n = err, 0
			c.raises++
		}
		return c.omega
	}
	c.omega = 1
	c.record(err)
	if c.n < 10 {
		return 1
	}
	th, ok := c.steadyRate()
	if !ok {
		return 1
	}
	c.prev, c.omega = 1, sorOmega(th)
	c.best, c.n = err, 0
	return c.omega
}
