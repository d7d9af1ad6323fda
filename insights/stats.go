package insights

import "math"

// z95 is the two-sided 95% critical value of the standard normal.
const z95 = 1.959963984540054

// Comparison compares a treatment's proportion with a control's.
type Comparison struct {
	// Difference is treatment rate minus control rate.
	Difference float64 `json:"difference"`
	// CILow and CIHigh bound the 95% confidence interval of the difference
	// (Wald interval, unpooled).
	CILow  float64 `json:"ci_low"`
	CIHigh float64 `json:"ci_high"`
	// Z and PValue are the two-proportion z-test (pooled), two-sided.
	Z      float64 `json:"z"`
	PValue float64 `json:"p_value"`
	// Significant is PValue < 0.05.
	Significant bool `json:"significant"`
}

// compare runs the two-proportion test of x2/n2 (treatment) against x1/n1
// (control). ok is false when either group is empty; with no variation at
// all (both rates 0 or both 1) the test says no difference (z 0, p 1).
func compare(x1, n1, x2, n2 int64) (Comparison, bool) {
	if n1 == 0 || n2 == 0 {
		return Comparison{}, false
	}
	p1, p2 := float64(x1)/float64(n1), float64(x2)/float64(n2)
	c := Comparison{Difference: p2 - p1, PValue: 1}
	se := math.Sqrt(p1*(1-p1)/float64(n1) + p2*(1-p2)/float64(n2))
	c.CILow, c.CIHigh = c.Difference-z95*se, c.Difference+z95*se
	p := float64(x1+x2) / float64(n1+n2)
	pooled := math.Sqrt(p * (1 - p) * (1/float64(n1) + 1/float64(n2)))
	if pooled > 0 {
		c.Z = c.Difference / pooled
		c.PValue = math.Erfc(math.Abs(c.Z) / math.Sqrt2)
	}
	c.Significant = c.PValue < 0.05
	return c, true
}
