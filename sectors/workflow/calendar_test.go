package workflow_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/sectors/workflow"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// The reference calendar reaches into 2027 with provisional rows (issue 13 point 8), and the
// readiness check says when the calendar stops less than 90 days ahead or holds provisional days
// in that period — at the edges of the window, on both engines.
func TestCalendarWarnings(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		if err := seed.Reference(ctx, db.Client); err != nil { // idempotent: no day twice
			t.Fatal(err)
		}
		d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
		for _, tt := range []struct {
			today       string
			ends, provs bool
		}{
			{"2026-06-01", false, false}, // 2026 confirmed, 2027's first provisional day more than 90 days off
			{"2026-10-03", false, true},  // 2027-01-01 is 90 days ahead: provisional days to confirm
			{"2026-10-02", false, false}, // … 91 days: not yet
			{"2027-07-07", false, true},  // the calendar's last day 2027-10-05 is exactly 90 days ahead
			{"2027-07-08", true, true},   // one day later it ends within the window
		} {
			w, err := workflow.CalendarWarnings(ctx, db.Client, d(tt.today))
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(w, "\n")
			if got := strings.Contains(all, "ends on 2027-10-05"); got != tt.ends {
				t.Errorf("%s: calendar-end warning %v, want %v (%q)", tt.today, got, tt.ends, all)
			}
			if got := strings.Contains(all, "provisional"); got != tt.provs {
				t.Errorf("%s: provisional warning %v, want %v (%q)", tt.today, got, tt.provs, all)
			}
		}
	})
}
