package transport

import "testing"

func TestOperatorGradeAtEveryThreshold(t *testing.T) {
	tests := []struct {
		score  float64
		points int
		want   string
	}{
		{100, 0, "AA"}, {90, 50, "AA"}, {89.9, 0, "A"}, {80, 30, "A"}, {79.9, 0, "B"}, {60, 40, "B"},
		{59.9, 19, "B"}, {40, 19, "B"}, {59.9, 20, "C"}, {40, 20, "C"}, {39.9, 20, "D"}, {0, 99, "D"},
		{39.9, 19, "C"}, {0, 0, "C"}, // the case the text leaves out
	}
	for _, tt := range tests {
		if got := OperatorGrade(tt.score, tt.points); got != tt.want {
			t.Errorf("OperatorGrade(%v, %d) = %s, want %s", tt.score, tt.points, got, tt.want)
		}
	}
}

func TestConstructionGradeAtEveryThreshold(t *testing.T) {
	tests := []struct {
		score float64
		d     bool
		want  string
	}{{100, false, "AA"}, {95, false, "AA"}, {94.9, false, "A"}, {85, false, "A"}, {84.9, false, "B"}, {75, false, "B"},
		{74.9, false, "C"}, {60, false, "C"}, {59.9, false, "D"}, {100, true, "D"}}
	for _, tt := range tests {
		if got := ConstructionGrade(tt.score, tt.d); got != tt.want {
			t.Errorf("ConstructionGrade(%v, %v) = %s, want %s", tt.score, tt.d, got, tt.want)
		}
	}
}
