package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/sectors/calendar"
	"github.com/creditgraph/creditgraph/sectors/exchange"
)

// loadCalendar parses the uploaded notice and replaces the years it covers in a transaction of
// its own, committed unless dryRun. The holidays are written as the caller, so their policy
// decides who may; the deadlines counted again, derived, as the system (calendar.Replace).
func loadCalendar(ctx context.Context, c *ent.Client, file graphql.Upload, dryRun bool) (*CalendarLoad, error) {
	format, err := exchange.FormatOf(file.Filename)
	if err != nil {
		return nil, derrors.Field("file", "%s", err)
	}
	days, err := calendar.Parse(file.File, format)
	if err != nil {
		return nil, derrors.Field("file", "%s; nothing was stored", err)
	}
	tx, err := c.Tx(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	rep, err := calendar.Replace(ctx, tx.Client(), days)
	if err != nil {
		return nil, err
	}
	out := &CalendarLoad{Years: rep.Years, Days: rep.Days, Replaced: rep.Replaced, Moved: []*MovedDeadlines{}}
	for _, ch := range rep.Changes {
		i := slices.IndexFunc(out.Moved, func(m *MovedDeadlines) bool { return m.Record == ch.Record && m.Field == ch.Field })
		if i < 0 {
			i = len(out.Moved)
			out.Moved = append(out.Moved, &MovedDeadlines{Record: ch.Record, Field: ch.Field})
		}
		out.Moved[i].Count++
	}
	if dryRun {
		return out, nil
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	out.Committed = true
	return out, nil
}
