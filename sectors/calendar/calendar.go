// Package calendar loads the official calendar from the State Council's notice (国务院办公厅关于
// 部分节假日安排的通知) and keeps every deadline counted in working days right on it.
//
// The notice for a year comes out late in the year before; until then the year's statutory
// holidays are stored provisional (seed), and deadlines that reach into it are counted on them.
// Loading the notice replaces the years it covers — confirmed, make-up working days (调休)
// included — and counts every stored deadline again (repair, objections, withdrawals, the
// days to publish penalties), in one transaction: a deadline is always the count on the
// calendar as it stands.
package calendar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/holiday"
	"github.com/creditgraph/creditgraph/sectors/exchange"
	"github.com/creditgraph/creditgraph/sectors/objection"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/sectors/repair"
	"github.com/creditgraph/creditgraph/sectors/revocation"
	"github.com/creditgraph/creditgraph/sectors/workdays"
	"github.com/creditgraph/creditgraph/sectors/workflow"
)

// Day is one day of the notice: a holiday (休) or a make-up working day (班).
type Day struct {
	Date    time.Time // midnight UTC, as dates are stored
	Working bool
	Name    string // 春节, 国庆节调休 …
	Line    int    // the file's line, for errors
}

// The file's columns, by header: Chinese as an office would write them, or English.
var columns = map[string][]string{
	"date": {"date", "日期"},
	"type": {"type", "类型"},
	"name": {"name", "名称", "节日"},
}

// Parse reads a calendar file: CSV (UTF-8 or GB18030) or XLSX with a header row naming the
// columns date (日期), type (类型: 休 or holiday, 班 or workday) and name (名称), one day a row.
// Every problem is reported with its line and column; a file with any is refused whole.
func Parse(r io.Reader, format exchange.Format) ([]Day, error) {
	rows, err := exchange.ReadAll(r, format)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("the file is empty: a header row (date,type,name) and one row a day")
	}
	at := map[string]int{}
	for i, h := range rows[0] {
		h = strings.ToLower(strings.TrimSpace(h))
		for col, names := range columns {
			if slices.Contains(names, h) {
				at[col] = i
			}
		}
	}
	var missing []string
	for _, col := range []string{"date", "type", "name"} {
		if _, ok := at[col]; !ok {
			missing = append(missing, col+" ("+columns[col][1]+")")
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("line 1: the header has no column %s", strings.Join(missing, ", "))
	}
	var days []Day
	var problems []string
	seen := map[time.Time]int{}
	for i, row := range rows[1:] {
		line := i + 2
		cell := func(col string) string {
			if j := at[col]; j < len(row) {
				return strings.TrimSpace(row[j])
			}
			return ""
		}
		if strings.Join(row, "") == "" {
			continue
		}
		bad := func(col, format string, args ...any) {
			problems = append(problems, fmt.Sprintf("line %d, %s: %s", line, col, fmt.Sprintf(format, args...)))
		}
		d := Day{Line: line, Name: cell("name")}
		date, err := exchange.ParseDate(cell("date"))
		if err != nil {
			bad("date", "%v", err)
		}
		d.Date = date
		switch strings.ToLower(cell("type")) {
		case "休", "holiday":
		case "班", "workday":
			d.Working = true
		default:
			bad("type", "%q is neither 休 (holiday) nor 班 (workday)", cell("type"))
		}
		switch {
		case d.Name == "":
			bad("name", "is empty: name the holiday, e.g. 春节 or 春节调休")
		case len(d.Name) > 64:
			bad("name", "is longer than 64 bytes")
		}
		if err != nil {
			continue
		}
		if wd := date.Weekday(); d.Working && wd != time.Saturday && wd != time.Sunday {
			bad("type", "%s is a %s, a working day already: a make-up working day (班) falls on a weekend", date.Format(time.DateOnly), wd)
		}
		if first, ok := seen[date]; ok {
			bad("date", "%s is on line %d already", date.Format(time.DateOnly), first)
		}
		seen[date] = line
		days = append(days, d)
	}
	switch {
	case len(problems) > 20:
		return nil, fmt.Errorf("%s\n… %d more", strings.Join(problems[:20], "\n"), len(problems)-20)
	case len(problems) > 0:
		return nil, errors.New(strings.Join(problems, "\n"))
	case len(days) == 0:
		return nil, errors.New("the file has no days below its header")
	}
	return days, nil
}

// Report is what a load did.
type Report struct {
	Years    []int // the years replaced
	Days     int   // days stored for them
	Replaced int   // days of those years stored before (provisional ones among them)
	Changes  []workflow.Change
}

// Replace stores days as the official calendar of the years they fall in — every day stored
// before for those years goes, provisional or not — and counts every stored deadline again on
// the result. c must be a transaction's client: the calendar and the deadlines change together
// or not at all. ctx's viewer must be one the holidays' policy lets write a day (the credit
// office, or the system).
func Replace(ctx context.Context, c *ent.Client, days []Day) (*Report, error) {
	if len(days) == 0 {
		return nil, errors.New("the file holds no day")
	}
	rep := &Report{}
	for _, d := range days {
		if y := d.Date.Year(); !slices.Contains(rep.Years, y) {
			rep.Years = append(rep.Years, y)
		}
	}
	slices.Sort(rep.Years)
	// Who may load is who may write a day: the holidays' policy, asked once. The replacement,
	// whose deletes no viewer's policy allows (reference rows are changed, never removed, by
	// hand), then runs as the system.
	probe := c.Holiday.Create().SetDay(days[0].Date).SetWorking(days[0].Working).SetName(days[0].Name).Mutation()
	if err := holiday.Policy.EvalMutation(ctx, probe); err != nil {
		return nil, err
	}
	ctx = authz.AsSystem(ctx)
	for _, y := range rep.Years {
		n, err := c.Holiday.Delete().Where(holiday.DayGTE(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)),
			holiday.DayLT(time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC))).Exec(ctx)
		if err != nil {
			return nil, err
		}
		rep.Replaced += n
	}
	creates := make([]*ent.HolidayCreate, len(days))
	for i, d := range days {
		creates[i] = c.Holiday.Create().SetDay(d.Date).SetWorking(d.Working).SetName(d.Name)
	}
	if err := c.Holiday.CreateBulk(creates...).Exec(ctx); err != nil {
		return nil, fmt.Errorf("storing the calendar: %w", err)
	}
	rep.Days = len(days)
	// A deadline before the first day replaced counted no replaced day, and stays.
	changes, err := Recount(ctx, c, time.Date(rep.Years[0], 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, err
	}
	rep.Changes = changes
	return rep, nil
}

// Recount counts every stored deadline again on the calendar as stored, and stores those that
// changed: each procedure's own recount, over the deadlines it sets. Penalties' days to publish,
// which are many, are counted again only from since on (the zero time: all); the workflows'
// deadlines are few, and all are.
func Recount(ctx context.Context, c *ent.Client, since time.Time) ([]workflow.Change, error) {
	cal, err := workflow.Calendar(ctx, c)
	if err != nil {
		return nil, err
	}
	var all []workflow.Change
	for _, recount := range []func(context.Context, *ent.Client, workdays.Calendar) ([]workflow.Change, error){
		repair.Recount, objection.Recount, revocation.Recount,
		func(ctx context.Context, c *ent.Client, cal workdays.Calendar) ([]workflow.Change, error) {
			return publicity.RecountPublishBy(ctx, c, cal, since, false)
		},
	} {
		changes, err := recount(ctx, c, cal)
		if err != nil {
			return nil, err
		}
		all = append(all, changes...)
	}
	return all, nil
}
