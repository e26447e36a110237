package workflow

import (
	"context"
	"fmt"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/holiday"
	"github.com/creditgraph/creditgraph/ent/timelimit"
	"github.com/creditgraph/creditgraph/sectors/workdays"
)

// Calendar loads the official calendar (reference data, read whoever asks).
func Calendar(ctx context.Context, c *ent.Client) (workdays.Calendar, error) {
	rows, err := c.Holiday.Query().Order(ent.Asc(holiday.FieldDay)).All(authz.AsSystem(ctx))
	if err != nil {
		return workdays.Calendar{}, err
	}
	days := make([]workdays.Day, len(rows))
	for i, r := range rows {
		days[i] = workdays.Day{Date: r.Day, Working: r.Working}
	}
	return workdays.New(days), nil
}

// Limit is the time limit in working days of a procedure's step in force on day.
func Limit(ctx context.Context, c *ent.Client, procedure, step string, day time.Time) (int, error) {
	l, err := c.TimeLimit.Query().Where(timelimit.Procedure(procedure), timelimit.Step(step), timelimit.EffectiveFromLTE(day)).
		Order(ent.Desc(timelimit.FieldEffectiveFrom)).First(authz.AsSystem(ctx))
	if err != nil {
		return 0, fmt.Errorf("time limit %s/%s: %w", procedure, step, err)
	}
	return l.WorkingDays, nil
}
