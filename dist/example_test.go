package dist_test

import (
	"fmt"
	"sync"

	"otgen/dist"
)

// A job's work split over its ranks: each rank sums the squares of its
// share of 0..99, and one allreduce gives every rank the total. World is
// one rank in the default build, and the ranks of an mpirun job in the
// mpi build: the same code runs in both.
func Example() {
	comm, err := dist.World()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer comm.Finalize()
	lo, hi := comm.Share(100)
	sum := []float64{0}
	for i := lo; i < hi; i++ {
		sum[0] += float64(i * i)
	}
	if err := comm.AllreduceFloat64(sum, dist.Sum); err != nil {
		fmt.Println(err)
		return
	}
	if comm.Rank() == 0 {
		fmt.Printf("%d rank(s): sum of squares %v\n", comm.Size(), sum[0])
	}
	// Output: 1 rank(s): sum of squares 328350
}

// NewLocal runs the ranks of a job as goroutines of one process, for
// tests: here 3 ranks split 10 minibatch pairs (4, 3 and 3) and add their
// per-point sums, as the minibatch OT estimators do.
func ExampleNewLocal() {
	comms, err := dist.NewLocal(3)
	if err != nil {
		fmt.Println(err)
		return
	}
	totals := make([][]float64, 3)
	var wg sync.WaitGroup
	for _, c := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lo, hi := c.Share(10)          // this rank's pairs
			perPoint := make([]float64, 4) // a sum for each of 4 points
			for k := lo; k < hi; k++ {
				perPoint[k%4] += float64(k)
			}
			if err := c.AllreduceFloat64(perPoint, dist.Sum); err != nil {
				fmt.Println(err)
			}
			totals[c.Rank()] = perPoint
		}()
	}
	wg.Wait()
	for r, t := range totals {
		fmt.Println("rank", r, t)
	}
	// Output:
	// rank 0 [12 15 8 10]
	// rank 1 [12 15 8 10]
	// rank 2 [12 15 8 10]
}

// Ranks gather parts of different lengths, such as encoded results: here
// rank r of 3 sends r+1 bytes (RunLocal runs the ranks as goroutines; the
// same code runs on the processes of an mpirun job).
func ExampleComm_AllgatherVar() {
	got := make([][][]byte, 3)
	errs, err := dist.RunLocal(3, func(c *dist.Comm) error {
		mine := []byte("abc")[:c.Rank()+1]
		var err error
		got[c.Rank()], err = c.AllgatherVar(mine)
		return err
	})
	if err != nil || errs[0] != nil {
		fmt.Println(err, errs)
		return
	}
	fmt.Printf("%q\n", got[2])
	// Output: ["a" "ab" "abc"]
}
