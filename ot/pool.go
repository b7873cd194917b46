package ot

// workerPool runs a function on a fixed set of goroutines, one call per
// worker index, without allocating per call.
type workerPool struct {
	n     int
	fn    func(int)
	start []chan struct{}
	done  chan struct{}
}

func newWorkerPool(n int) *workerPool {
	p := &workerPool{n: n}
	if n <= 1 {
		return p
	}
	p.start = make([]chan struct{}, n)
	p.done = make(chan struct{}, n)
	for w := 1; w < n; w++ {
		c := make(chan struct{}, 1)
		p.start[w] = c
		go func(w int) {
			for range c {
				p.fn(w)
				p.done <- struct{}{}
			}
		}(w)
	}
	return p
}

// run calls fn(w) for every worker w and waits for all of them.
func (p *workerPool) run(fn func(int)) {
	if p.n <= 1 {
		fn(0)
		return
	}
	p.fn = fn
	for w := 1; w < p.n; w++ {
		p.start[w] <- struct{}{}
	}
	fn(0)
	for w := 1; w < p.n; w++ {
		<-p.done
	}
}

func (p *workerPool) close() {
	for w := 1; w < p.n; w++ {
		close(p.start[w])
	}
}
