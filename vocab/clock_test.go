package vocab

import (
	"testing"
	"time"
)

// Months are counted as 民法典 arts. 201–202 count a period (domain.md §4 counts publicity
// windows in months from their start): the period ends on the corresponding day of its last
// month, or on that month's last day when there is none — at month ends, leap days and year
// ends alike.
func TestAddMonthsCountsAsTheCivilCode(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	for _, tt := range []struct {
		start  string
		months int
		want   string
	}{
		{"2026-01-15", 3, "2026-04-15"},  // a corresponding day exists
		{"2026-01-31", 1, "2026-02-28"},  // none in February: its last day (AddDate gives 03-03)
		{"2028-01-31", 1, "2028-02-29"},  // … in a leap year
		{"2026-01-30", 1, "2026-02-28"},  // 30th: still none
		{"2026-03-31", 1, "2026-04-30"},  // 31st into a 30-day month
		{"2026-08-31", 3, "2026-11-30"},  // a three-month minimum from a month end
		{"2026-08-31", 6, "2027-02-28"},  // across a year end into February
		{"2024-02-29", 12, "2025-02-28"}, // a leap day plus a year
		{"2024-02-29", 48, "2028-02-29"}, // … plus four years: the leap day again
		{"2027-12-31", 2, "2028-02-29"},  // year end into a leap February
		{"2026-12-15", 1, "2027-01-15"},  // across a year end
		{"2026-12-31", 12, "2027-12-31"}, // a year from a year end
		{"2026-11-30", 3, "2027-02-28"},
		{"2026-05-31", 0, "2026-05-31"},  // no months: the day itself
		{"2026-03-31", -1, "2026-02-28"}, // backwards, clamped the same way
	} {
		if got := AddMonths(d(tt.start), tt.months).Format(time.DateOnly); got != tt.want {
			t.Errorf("%s + %d months = %s, want %s", tt.start, tt.months, got, tt.want)
		}
	}
}
