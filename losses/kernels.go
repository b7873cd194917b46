package losses

import "fmt"

// imqMMD is the unbiased estimate of MMD² between the rows of x and y with
// the inverse multiquadratic kernel k(a, b) = Σ_s C_s/(C_s + ‖a − b‖²)
// (Gretton et al. 2012, the U-statistic used by Algorithm 2 of Tolstikhin
// et al. 2018):
//
//	1/(n(n−1)) Σ_{i≠j} k(x_i,x_j) + 1/(m(m−1)) Σ_{i≠j} k(y_i,y_j) − 2/(nm) Σ_{i,j} k(x_i,y_j).
type imqMMD struct{ cs []float64 }

func (imqMMD) name() string { return "mmd_imq" }

// kernel returns k and dk/dD at the squared distance D.
func (f imqMMD) kernel(dist float64) (k, dk float64) {
	for _, c := range f.cs {
		t := 1 / (c + dist)
		k += c * t
		dk -= c * t * t
	}
	return k, dk
}

func (f imqMMD) eval(x, y []float64, n, m, d int, gx, gy []float64) (float64, error) {
	if n < 2 || m < 2 {
		return 0, fmt.Errorf("need at least 2 points on each side, got %d and %d", n, m)
	}
	clear(gx)
	clear(gy)
	// within(a, ga, count, w): Σ_{i≠j} k(a_i, a_j) with gradient into ga,
	// scaled by w.
	within := func(a, ga []float64, cnt int, w float64) float64 {
		s := 0.0
		for i := 0; i < cnt; i++ {
			ai := a[i*d : (i+1)*d]
			for j := i + 1; j < cnt; j++ {
				aj := a[j*d : (j+1)*d]
				dist := 0.0
				for k := range ai {
					t := ai[k] - aj[k]
					dist += t * t
				}
				kv, dk := f.kernel(dist)
				s += 2 * kv
				// d/da_i of 2k(D_ij) = 2 k'(D) 2 (a_i − a_j)
				c := 4 * w * dk
				for k := range ai {
					t := c * (ai[k] - aj[k])
					ga[i*d+k] += t
					ga[j*d+k] -= t
				}
			}
		}
		return s * w
	}
	wx := 1 / float64(n*(n-1))
	wy := 1 / float64(m*(m-1))
	wxy := -2 / float64(n*m)
	v := within(x, gx, n, wx) + within(y, gy, m, wy)
	cross := 0.0
	for i := 0; i < n; i++ {
		xi := x[i*d : (i+1)*d]
		for j := 0; j < m; j++ {
			yj := y[j*d : (j+1)*d]
			dist := 0.0
			for k := range xi {
				t := xi[k] - yj[k]
				dist += t * t
			}
			kv, dk := f.kernel(dist)
			cross += kv
			c := 2 * wxy * dk
			for k := range xi {
				t := c * (xi[k] - yj[k])
				gx[i*d+k] += t
				gy[j*d+k] -= t
			}
		}
	}
	v += wxy * cross
	if !finite(v) {
		return 0, fmt.Errorf("value is %v (non-finite inputs?)", v)
	}
	return v, nil
}
