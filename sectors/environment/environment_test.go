package environment

import (
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/vocab"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The scales in force today (the seed's ScaleRule rows): domain.md §3.1 and §3.5.
var (
	envScale = vocab.ScaleParams{InitialScore: 9, MaxScore: 12, Bands: []vocab.GradeBand{
		{Grade: "GREEN", MinScore: 11}, {Grade: "BLUE", MinScore: 6}, {Grade: "YELLOW", MinScore: 3}, {Grade: "RED", MinScore: 1}, {Grade: "BLACK", MinScore: 0}}}
	eiaScale = vocab.ScaleParams{WarningPoints: 10, RestrictionPoints: 20, RectifyMonths: 6}
)

func TestColourAtEveryThreshold(t *testing.T) {
	want := map[int]Colour{12: Green, 11: Green, 10: Blue, 6: Blue, 5: Yellow, 3: Yellow, 2: Red, 1: Red, 0: Black, -3: Black}
	for score, c := range want {
		if got := ColourOf(envScale, score); got != c {
			t.Errorf("ColourOf(%d) = %s, want %s", score, got, c)
		}
	}
}

func TestScoreEvents(t *testing.T) {
	events := []Event{
		{Points: -3, EffectiveFrom: d("2026-01-10"), ExpiresOn: d("2026-07-10")}, // 扣3分（有效期半年）
		{Points: -1, EffectiveFrom: d("2026-03-01"), ExpiresOn: d("2027-03-01")},
		{Points: +2, EffectiveFrom: d("2026-05-01")}, // commitment kept
	}
	tests := []struct {
		at   string
		want int
	}{
		{"2026-01-09", 9}, {"2026-01-10", 6}, {"2026-03-01", 5}, {"2026-05-01", 7}, {"2026-07-09", 7}, {"2026-07-10", 10},
		{"2027-03-01", 11},
	}
	for _, tt := range tests {
		if got := Score(envScale, events, d(tt.at)); got != tt.want {
			t.Errorf("Score at %s = %d, want %d", tt.at, got, tt.want)
		}
	}
	if got := Score(envScale, []Event{{Points: 5, EffectiveFrom: d("2020-01-01")}}, d("2026-01-01")); got != envScale.MaxScore {
		t.Errorf("score above 12 = %d", got)
	}
	if got := Score(envScale, []Event{{Points: -12, EffectiveFrom: d("2026-01-01")}}, d("2026-01-02")); ColourOf(envScale, got) != Black {
		t.Errorf("an environmental crime leaves %d (%s)", got, ColourOf(envScale, got))
	}
	label, score, colour := Snapshot(envScale, events, d("2026-06-15"))
	if label != "2026H1" || score != 7 || colour != Blue {
		t.Errorf("snapshot = %s %d %s, want 2026H1 7 BLUE (as of 06-30: 9 -3 -1 +2)", label, score, colour)
	}
}

func TestEIAScoring(t *testing.T) {
	opened := d("2025-01-01")
	tests := []struct {
		name   string
		acts   []EIAPoints
		ban    time.Time
		at     string
		status EIAStatus
		points int
	}{
		{"clean", nil, time.Time{}, "2025-06-01", EIANormal, 0},
		{"9 points", []EIAPoints{{9, d("2025-02-01")}}, time.Time{}, "2025-06-01", EIANormal, 9},
		{"10 points warns", []EIAPoints{{5, d("2025-02-01")}, {5, d("2025-03-01")}}, time.Time{}, "2025-06-01", EIAWarning, 10},
		{"20 points restricts for 6 months", []EIAPoints{{12, d("2025-02-01")}, {8, d("2025-03-01")}}, time.Time{}, "2025-08-31", EIARestricted, 0},
		// 民法典 arts. 201–202: six months from 03-01 end on 09-01, the corresponding day, inclusive.
		{"restricted on the last day of the 6 months", []EIAPoints{{20, d("2025-03-01")}}, time.Time{}, "2025-09-01", EIARestricted, 0},
		{"restriction ends after 6 months", []EIAPoints{{20, d("2025-03-01")}}, time.Time{}, "2025-09-02", EIANormal, 0},
		{"6 months from a month end end on the month's last day", []EIAPoints{{20, d("2025-08-31")}}, time.Time{}, "2026-03-01", EIANormal, 0},
		{"… restricted through it", []EIAPoints{{20, d("2025-08-31")}}, time.Time{}, "2026-02-28", EIARestricted, 0},
		{"points expire with the cycle", []EIAPoints{{15, d("2025-02-01")}}, time.Time{}, "2026-01-01", EIANormal, 0},
		{"new cycle counts afresh", []EIAPoints{{15, d("2025-02-01")}, {10, d("2026-02-01")}}, time.Time{}, "2026-03-01", EIAWarning, 10},
		{"ban blacklists", []EIAPoints{{1, d("2025-02-01")}}, d("2027-01-01"), "2025-06-01", EIABlacklisted, 0}, // an act during the ban is not scored
	}
	scale := func(time.Time) (vocab.ScaleParams, error) { return eiaScale, nil }
	for _, tt := range tests {
		var bans []EIABan
		if !tt.ban.IsZero() {
			bans = []EIABan{{From: opened, Until: tt.ban}}
		}
		st, err := EvaluateEIA(scale, opened, tt.acts, bans, d(tt.at))
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != tt.status || st.CyclePoints != tt.points {
			t.Errorf("%s: %s with %d points, want %s with %d", tt.name, st.Status, st.CyclePoints, tt.status, tt.points)
		}
		if st.AcceptsReports() != (tt.status == EIANormal || tt.status == EIAWarning) {
			t.Errorf("%s: AcceptsReports = %v", tt.name, st.AcceptsReports())
		}
	}
}

// A later version of a scale changes the answer without a code change: the bands are data.
func TestColourFollowsTheScaleVersion(t *testing.T) {
	stricter := vocab.ScaleParams{Bands: []vocab.GradeBand{{Grade: "GREEN", MinScore: 12}, {Grade: "BLUE", MinScore: 8}, {Grade: "BLACK", MinScore: 0}}}
	if got := ColourOf(stricter, 11); got != Blue {
		t.Errorf("11 under a stricter version = %s, want BLUE", got)
	}
	if got := ColourOf(envScale, 11); got != Green {
		t.Errorf("11 under today's version = %s, want GREEN", got)
	}
}

// A score imported as of a day holds the events before it; later events are added, capped.
func TestScoreFromAnImportedBase(t *testing.T) {
	events := []Event{{Points: -2, EffectiveFrom: d("2025-12-01")}, {Points: -3, EffectiveFrom: d("2026-03-01")},
		{Points: 5, EffectiveFrom: d("2026-04-01")}, {Points: -1, EffectiveFrom: d("2026-01-01")}}
	for _, tt := range []struct {
		base Base
		at   string
		want int
	}{
		{Base{Score: 9}, "2026-02-01", 6},                           // no import: 9 − 2 − 1
		{Base{Score: 11, Since: d("2026-01-01")}, "2026-02-01", 11}, // the import holds both
		{Base{Score: 11, Since: d("2026-01-01")}, "2026-03-15", 8},
		{Base{Score: 11, Since: d("2026-01-01")}, "2026-05-01", 12}, // capped at the maximum
	} {
		if got := ScoreFrom(envScale, tt.base, events, d(tt.at)); got != tt.want {
			t.Errorf("from %+v at %s: %d, want %d", tt.base, tt.at, got, tt.want)
		}
	}
}
