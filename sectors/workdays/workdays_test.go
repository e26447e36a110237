package workdays

import (
	"testing"
	"time"
)

func d(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

func TestAddAcrossWeekendsAndHolidays(t *testing.T) {
	// 2026 National Day: Oct 1–7 off; Sep 20 (Sun) and Oct 10 (Sat) make-up working days.
	cal := New([]Day{
		{d("2026-10-01"), false}, {d("2026-10-02"), false}, {d("2026-10-05"), false}, {d("2026-10-06"), false}, {d("2026-10-07"), false},
		{d("2026-09-20"), true}, {d("2026-10-10"), true},
	})
	tests := []struct {
		start string
		n     int
		want  string
	}{
		{"2026-11-20", 1, "2026-11-23"},  // Friday + 1 → Monday
		{"2026-11-23", 5, "2026-11-30"},  // a full week
		{"2026-11-21", 1, "2026-11-23"},  // from a Saturday
		{"2026-09-30", 1, "2026-10-08"},  // over the holiday
		{"2026-09-30", 2, "2026-10-09"},  //
		{"2026-09-30", 3, "2026-10-10"},  // the make-up Saturday counts
		{"2026-09-18", 1, "2026-09-20"},  // Friday + 1 → the make-up Sunday
		{"2026-11-23", 0, "2026-11-23"},  // no time
		{"2026-09-30", 10, "2026-10-20"}, // 8,9,10,12..16,19,20
	}
	for _, tt := range tests {
		if got := cal.Add(d(tt.start), tt.n).Format(time.DateOnly); got != tt.want {
			t.Errorf("Add(%s, %d) = %s, want %s", tt.start, tt.n, got, tt.want)
		}
	}
	if cal.IsWorking(d("2026-10-03")) || !cal.IsWorking(d("2026-10-10")) || cal.IsWorking(d("2026-11-22")) {
		t.Error("IsWorking misreads the calendar")
	}
}
