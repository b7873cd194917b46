package ot

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Unbalanced Sinkhorn against POT 0.8.2's ot.unbalanced.sinkhorn_unbalanced.
// tools/peers/pot_unbalanced.py made the values below and explains the
// mapping: POT(a, b, M, reg = eps, reg_m = rho) has the plan of otgen's
// problem with weights alpha = a^fi, beta = b^fi, fi = rho/(rho + eps),
// rho = Reach^2, so the script calls POT with a = alpha^(1/fi),
// b = beta^(1/fi) for otgen's alpha, beta.

// potCase is one problem of the script.
type potCase struct {
	name        string
	eps, reach  float64
	alpha, beta []float64
	plan        []float64 // 5×4, row-major
	cost        float64   // <P, M>, ot.unbalanced.sinkhorn_unbalanced2
}

var potX = []float64{0.0, 0.0, 1.0, 0.2, 0.3, 0.9, 0.7, 0.5, 0.2, 0.4}
var potY = []float64{0.5, 0.1, 0.9, 0.8, 0.1, 0.6, 1.2, 0.3}
var potCases = []potCase{
	{name: "eps0.1_reach0.8", eps: 0.1, reach: 0.8,
		alpha: []float64{0.12, 0.36, 0.3, 0.24, 0.18},
		beta:  []float64{0.32000000000000006, 0.16000000000000003, 0.08000000000000002, 0.24},
		plan:  []float64{0.07261585393862059, 2.3611223846708955e-07, 0.0011695419971599391, 1.2899848650250493e-07, 0.04748784640699755, 0.007569199095994156, 1.8958324641131765e-06, 0.2257844211185191, 0.006809682033211835, 0.0723820888233779, 0.08062222636617222, 2.952411977841281e-05, 0.08043683478715744, 0.07756262420503399, 0.0007109886308581911, 0.019040705026431508, 0.10647809416726492, 0.0004637325584181838, 0.018903899440232824, 1.5406683309194246e-05},
		cost:  0.14006290252355305},
	{name: "eps0.5_reach0.3", eps: 0.5, reach: 0.3,
		alpha: []float64{0.1, 0.3, 0.25, 0.2, 0.15},
		beta:  []float64{0.4, 0.2, 0.1, 0.3},
		plan:  []float64{0.030399064534476845, 0.0014404816015363712, 0.006117046513224432, 0.0018677794267565084, 0.08187102815738484, 0.03363983226321948, 0.004962019076776969, 0.09707497311018115, 0.03287066919262999, 0.03128523976673888, 0.024760466644498436, 0.00961110463828356, 0.061298542545348056, 0.03610104217474572, 0.010939976129044331, 0.03988875616408228, 0.05030658944709234, 0.010061353904699182, 0.01635941576845576, 0.00745194064955649},
		cost:  0.16341289553769736},
}

// The dense (stored matrix) and online (float64 and float32) unbalanced
// solvers reproduce POT's plans and transport costs.
func TestSinkhornUnbalancedMatchesPOT(t *testing.T) {
	X, Y := mat.NewDense(5, 2, potX), mat.NewDense(4, 2, potY)
	C, err := Cost(X, Y, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range potCases {
		o := &SinkhornOptions{Reach: c.reach, Tol: 1e-14, MaxIter: 100000, Plan: true}
		res, err := Sinkhorn(c.alpha, c.beta, C, c.eps, o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for k, want := range c.plan {
			if got := res.Plan.At(k/4, k%4); math.Abs(got-want) > 1e-9*math.Max(want, 1e-3) {
				t.Errorf("%s: plan[%d,%d] = %.12g, POT %.12g", c.name, k/4, k%4, got, want)
			}
		}
		if math.Abs(res.Cost-c.cost) > 1e-10 {
			t.Errorf("%s: cost %.12g, POT %.12g", c.name, res.Cost, c.cost)
		}
		// The plan from the potentials agrees with the plan returned.
		for k := range c.plan {
			i, j := k/4, k%4
			p := c.alpha[i] * c.beta[j] * math.Exp((res.F[i]+res.G[j]-C.At(i, j))/c.eps)
			if math.Abs(p-res.Plan.At(i, j)) > 1e-12 {
				t.Fatalf("%s: plan[%d,%d] = %g but the potentials give %g", c.name, i, j, res.Plan.At(i, j), p)
			}
		}
		for _, prec := range []Precision{PrecisionFloat64, PrecisionFloat32} {
			tol := map[Precision]float64{PrecisionFloat64: 1e-13, PrecisionFloat32: 1e-6}[prec]
			on, err := SinkhornOnline(Points32FromDense(X), Points32FromDense(Y), c.alpha, c.beta, c.eps,
				&SinkhornOptions{Reach: c.reach, Tol: tol, MaxIter: 100000, Precision: prec})
			if err != nil {
				t.Fatalf("%s precision %d: %v", c.name, prec, err)
			}
			// The online solvers take float32 points: 0.2 etc. are rounded.
			rel := map[Precision]float64{PrecisionFloat64: 1e-7, PrecisionFloat32: 1e-4}[prec]
			if math.Abs(on.Cost-c.cost) > rel*c.cost {
				t.Errorf("%s precision %d: online cost %.12g, POT %.12g", c.name, prec, on.Cost, c.cost)
			}
		}
	}
}
