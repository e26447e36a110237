package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/holiday"
	"github.com/creditgraph/creditgraph/sectors/refdata"
	"github.com/creditgraph/creditgraph/sectors/workdays"
)

// Calendar loads the official calendar (reference data, read whoever asks).
func Calendar(ctx context.Context, c *ent.Client) (workdays.Calendar, error) {
	return refdata.Calendar(ctx, refdata.Of(c))
}

// Limit is the time limit in working days of a procedure's step in force on day.
func Limit(ctx context.Context, c *ent.Client, procedure, step string, day time.Time) (int, error) {
	return refdata.Limit(ctx, refdata.Of(c), procedure, step, day)
}

// Horizon is how far ahead the official calendar must reach for deadlines counted in working
// days to be right: the longest time limits run a few weeks, and a year's notice is published
// in its last months.
const Horizon = 90 * 24 * time.Hour

// CalendarWarnings says what an operator must fix before working-day deadlines go wrong: a
// calendar that ends within the next 90 days (days after its end count weekends only), and
// provisional days in that period still to be confirmed against the State Council's notice.
func CalendarWarnings(ctx context.Context, c *ent.Client, today time.Time) ([]string, error) {
	ctx = authz.AsSystem(ctx)
	until := today.Add(Horizon)
	var out []string
	last, err := c.Holiday.Query().Order(ent.Desc(holiday.FieldDay)).First(ctx)
	switch {
	case ent.IsNotFound(err):
		return []string{"the official holiday calendar is empty: working days count weekends only; load the State Council's notice (creditgraph calendar load FILE)"}, nil
	case err != nil:
		return nil, err
	case last.Day.Before(until):
		out = append(out, fmt.Sprintf("the official holiday calendar ends on %s, within %d days: load the State Council's notice for the next year (creditgraph calendar load FILE)",
			last.Day.Format(time.DateOnly), int(Horizon.Hours()/24)))
	}
	provisional, err := c.Holiday.Query().Where(holiday.Provisional(true), holiday.DayGTE(today), holiday.DayLTE(until)).
		Order(ent.Asc(holiday.FieldDay)).All(ctx)
	if err != nil {
		return nil, err
	}
	if len(provisional) > 0 {
		days := make([]string, len(provisional))
		for i, h := range provisional {
			days[i] = h.Day.Format(time.DateOnly) + " " + h.Name
		}
		out = append(out, fmt.Sprintf("%d provisional calendar days within %d days, to confirm against the State Council's notice and load it (creditgraph calendar load FILE): %s",
			len(days), int(Horizon.Hours()/24), strings.Join(days, ", ")))
	}
	return out, nil
}

// Change is a stored deadline counted again on the calendar as it now stands: the record, the
// field (as the API names it) and its value before and after.
type Change struct {
	Record   string // "repair application", "objection", "penalty"
	ID       int
	Field    string
	Was, Now time.Time
}

// Recount counts a deadline again: the last day of the time limit of procedure's step in
// force on start, counted on cal from start. It records a Change when the stored value was
// differs, and returns the value to store.
func Recount(ctx context.Context, c *ent.Client, cal workdays.Calendar, procedure, step string, start time.Time, was time.Time,
	record string, id int, field string, changes *[]Change) (time.Time, error) {
	n, err := Limit(ctx, c, procedure, step, start)
	if err != nil {
		return time.Time{}, err
	}
	now := cal.Add(start, n)
	if !now.Equal(was) {
		*changes = append(*changes, Change{Record: record, ID: id, Field: field, Was: was, Now: now})
	}
	return now, nil
}
