// Package transport holds the transport sector's credit scales (domain.md §3.3): Jiangsu's
// road & waterway operator grade (苏交规〔2024〕2号) and the highway construction firms' grade.
package transport

// OperatorGrade grades a road or waterway transport operator from its score and its total
// bad-behaviour points:
//
//	AA  score ≥ 90
//	A   80 ≤ score < 90
//	B   60 ≤ score < 80, or 40 ≤ score < 60 with points < 20
//	C   40 ≤ score < 60 with points ≥ 20
//	D   score < 40 with points ≥ 20
//
// The text leaves out a score below 40 with fewer than 20 points. We grade it C: the score
// alone is below every band that the text calls at least "一般", and D in the text needs the
// points as well, so the case sits between them. The decision is ours and documented here.
func OperatorGrade(score float64, points int) string {
	switch {
	case score >= 90:
		return "AA"
	case score >= 80:
		return "A"
	case score >= 60:
		return "B"
	case score >= 40 && points < 20:
		return "B"
	case score >= 40:
		return "C"
	case points >= 20:
		return "D"
	default:
		return "C" // score < 40 with points < 20: not covered by the text, see above
	}
}

// ConstructionGrade grades a highway construction firm (公路施工企业信用评价): AA 95–100, A 85–95,
// B 75–85, C 60–75, D < 60; directD is set when an act triggers D directly.
func ConstructionGrade(score float64, directD bool) string {
	switch {
	case directD || score < 60:
		return "D"
	case score >= 95:
		return "AA"
	case score >= 85:
		return "A"
	case score >= 75:
		return "B"
	}
	return "C"
}
