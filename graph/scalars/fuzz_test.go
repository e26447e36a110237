package scalars

import (
	"bytes"
	"testing"
	"time"
)

// go test ./graph/scalars -run '^$' -fuzz FuzzScalars -fuzztime 60s
func FuzzScalars(f *testing.F) {
	for _, s := range []string{"2024-05-31", "2024-02-30", "2026-11-26T08:00:00+08:00", "12.5", "-0.000001", "1e400", "", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := UnmarshalDate(s); err == nil {
			var b bytes.Buffer
			MarshalDate(d).MarshalGQL(&b)
			back, err := UnmarshalDate(b.String()[1 : b.Len()-1])
			if err != nil || !back.Equal(time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)) {
				t.Fatalf("date %q does not round-trip: %v", s, err)
			}
		}
		if v, err := UnmarshalDecimal(s); err == nil {
			var b bytes.Buffer
			MarshalDecimal(v).MarshalGQL(&b)
			back, err := UnmarshalDecimal(b.String()[1 : b.Len()-1])
			if err != nil || !back.Equal(v) {
				t.Fatalf("decimal %q does not round-trip: %v", s, err)
			}
		}
	})
}
