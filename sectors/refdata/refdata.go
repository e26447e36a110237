// Package refdata reads the reference rows that validating a record needs — departments,
// publicity rules, the official calendar and time limits, and the dated scale rules — and
// memoises all but the last for the length of one batch write, so a batch of 1,000
// penalties reads each reference row once instead of once per row. Outside a batch every call
// reads the database, so a change to a department or a rule is seen at once.
package refdata

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/holiday"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/publicityrule"
	"github.com/creditgraph/creditgraph/ent/scalerule"
	"github.com/creditgraph/creditgraph/ent/timelimit"
	"github.com/creditgraph/creditgraph/sectors/workdays"
	"github.com/creditgraph/creditgraph/vocab"
)

type cacheKey struct{}

type cache struct {
	mu       sync.Mutex
	deps     map[int]*ent.Department
	rules    []*ent.PublicityRule // nil until loaded
	entities map[int]EntityCode
	calendar *workdays.Calendar // nil until loaded
	limits   []*ent.TimeLimit   // nil until loaded
}

// WithCache returns ctx carrying a memo for one batch write. Use it only for the length of a
// transaction: the memo does not see changes made after a row was first read.
func WithCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, cacheKey{}, &cache{deps: map[int]*ent.Department{}, entities: map[int]EntityCode{}})
}

func from(ctx context.Context) *cache { c, _ := ctx.Value(cacheKey{}).(*cache); return c }

// Source gives the client to read with, asked for only on a miss: a mutation's Client() builds
// a new client at every call, which a batch would otherwise pay for on every memo hit.
type Source interface{ Client() *ent.Client }

type clientSource struct{ c *ent.Client }

func (s clientSource) Client() *ent.Client { return s.c }

// Of makes a client a Source.
func Of(c *ent.Client) Source { return clientSource{c} }

// Department returns the department with id.
func Department(ctx context.Context, src Source, id int) (*ent.Department, error) {
	memo := from(ctx)
	if memo != nil {
		memo.mu.Lock()
		d, ok := memo.deps[id]
		memo.mu.Unlock()
		if ok {
			return d, nil
		}
	}
	d, err := src.Client().Department.Get(authz.AsSystem(ctx), id)
	if err != nil {
		return nil, err
	}
	if memo != nil {
		memo.mu.Lock()
		memo.deps[id] = d
		memo.mu.Unlock()
	}
	return d, nil
}

// EntityCode is how the registry identifies an entity: its code and its registration number
// (工商注册号), which a record's published counterparty must match.
type EntityCode struct {
	USCC           string `json:"uscc"`
	RegistrationNo string `json:"registration_no"`
}

// EntityCodes returns the codes of the entity with id; found is false when there is none.
func EntityCodes(ctx context.Context, src Source, id int) (code EntityCode, found bool, err error) {
	if memo := from(ctx); memo != nil {
		memo.mu.Lock()
		code, found = memo.entities[id]
		memo.mu.Unlock()
		if found {
			return code, true, nil
		}
	}
	got, err := loadEntityCodes(ctx, src, id)
	code, found = got[id]
	return code, found, err
}

// PreloadEntityCodes reads the codes of the entities with ids into the batch memo in one
// query, for a batch whose rows name them (a no-op outside a batch).
func PreloadEntityCodes(ctx context.Context, src Source, ids []int) error {
	if from(ctx) == nil || len(ids) == 0 {
		return nil
	}
	_, err := loadEntityCodes(ctx, src, ids...)
	return err
}

func loadEntityCodes(ctx context.Context, src Source, ids ...int) (map[int]EntityCode, error) {
	var rows []struct {
		ID int `json:"id"`
		EntityCode
	}
	err := src.Client().MarketEntity.Query().Where(marketentity.IDIn(ids...)).
		Select(marketentity.FieldID, marketentity.FieldUscc, marketentity.FieldRegistrationNo).Scan(authz.AsSystem(ctx), &rows)
	if err != nil {
		return nil, err
	}
	out := make(map[int]EntityCode, len(rows))
	for _, r := range rows {
		out[r.ID] = r.EntityCode
	}
	if memo := from(ctx); memo != nil {
		memo.mu.Lock()
		maps.Copy(memo.entities, out)
		memo.mu.Unlock()
	}
	return out, nil
}

// PublicityRules returns every publicity rule, oldest first: a few dozen rows, filtered by the
// caller.
func PublicityRules(ctx context.Context, src Source) ([]*ent.PublicityRule, error) {
	memo := from(ctx)
	if memo != nil {
		memo.mu.Lock()
		rules := memo.rules
		memo.mu.Unlock()
		if rules != nil {
			return rules, nil
		}
	}
	rules, err := src.Client().PublicityRule.Query().Order(ent.Asc(publicityrule.FieldID)).All(authz.AsSystem(ctx))
	if err != nil {
		return nil, err
	}
	if memo != nil {
		memo.mu.Lock()
		memo.rules = rules
		memo.mu.Unlock()
	}
	return rules, nil
}

// Scale returns the parameters of the scale's version in force on day (the ScaleRule row with
// the latest start not after day that has not ended). No version in force is an error: the
// rules come from the database, never from constants.
func Scale(ctx context.Context, src Source, scale vocab.Scale, day time.Time) (vocab.ScaleParams, error) {
	vs, err := ScaleVersions(ctx, src, scale)
	if err != nil {
		return vocab.ScaleParams{}, err
	}
	return vs.At(day)
}

// Versions are the versions of one scale, for rules that apply each act's own version (EIA
// points are counted against the thresholds in force on the day scored).
type Versions struct {
	scale vocab.Scale
	rows  []*ent.ScaleRule
}

// ScaleVersions reads every version of the scale: a handful of rows.
func ScaleVersions(ctx context.Context, src Source, scale vocab.Scale) (Versions, error) {
	rows, err := src.Client().ScaleRule.Query().Where(scalerule.ScaleEQ(scale)).
		Order(ent.Asc(scalerule.FieldEffectiveFrom)).All(authz.AsSystem(ctx))
	return Versions{scale, rows}, err
}

// InForce is the version in force on day, if any: for scales that may have none (REPAIR_BARS:
// no further conditions).
func (vs Versions) InForce(day time.Time) (vocab.ScaleParams, bool) {
	p, err := vs.At(day)
	return p, err == nil
}

// LastChange is the latest day, by day, on which a version began or ended: what was graded
// with the scale before it may grade otherwise now. Zero when there is none.
func (vs Versions) LastChange(day time.Time) time.Time {
	var last time.Time
	for _, r := range vs.rows {
		for _, d := range []*time.Time{&r.EffectiveFrom, r.EffectiveTo} {
			if d != nil && !d.After(day) && d.After(last) {
				last = *d
			}
		}
	}
	return last
}

// At is the version in force on day: the latest start not after day that has not ended.
func (vs Versions) At(day time.Time) (vocab.ScaleParams, error) {
	var in *ent.ScaleRule
	for _, r := range vs.rows { // oldest first: the last match starts latest
		if !r.EffectiveFrom.After(day) && (r.EffectiveTo == nil || r.EffectiveTo.After(day)) {
			in = r
		}
	}
	if in == nil {
		return vocab.ScaleParams{}, fmt.Errorf("no %s scale rule is in force on %s (load the reference data)", vs.scale, day.Format(time.DateOnly))
	}
	return in.Params, nil
}

// Owner is the department with id as the maker of a record (谁认定): who may handle its repair
// and objections.
func Owner(ctx context.Context, c *ent.Client, id int) (authz.Owner, error) {
	d, err := Department(ctx, Of(c), id)
	if err != nil {
		return authz.Owner{}, err
	}
	return authz.Owner{Sector: d.Sector, Department: d.Code}, nil
}

// Calendar is the official calendar: the Holiday rows, read whoever asks.
func Calendar(ctx context.Context, src Source) (workdays.Calendar, error) {
	memo := from(ctx)
	if memo != nil {
		memo.mu.Lock()
		cal := memo.calendar
		memo.mu.Unlock()
		if cal != nil {
			return *cal, nil
		}
	}
	rows, err := src.Client().Holiday.Query().Order(ent.Asc(holiday.FieldDay)).All(authz.AsSystem(ctx))
	if err != nil {
		return workdays.Calendar{}, err
	}
	days := make([]workdays.Day, len(rows))
	for i, r := range rows {
		days[i] = workdays.Day{Date: r.Day, Working: r.Working}
	}
	cal := workdays.New(days)
	if memo != nil {
		memo.mu.Lock()
		memo.calendar = &cal
		memo.mu.Unlock()
	}
	return cal, nil
}

// Limit is the time limit in working days of a procedure's step in force on day: the version
// with the latest first day not after it. None in force is an error that ent.IsNotFound tells.
func Limit(ctx context.Context, src Source, procedure, step string, day time.Time) (int, error) {
	memo := from(ctx)
	var limits []*ent.TimeLimit
	if memo != nil {
		memo.mu.Lock()
		limits = memo.limits
		memo.mu.Unlock()
	}
	if limits == nil {
		var err error
		if limits, err = src.Client().TimeLimit.Query().Order(ent.Desc(timelimit.FieldEffectiveFrom), ent.Desc(timelimit.FieldID)).All(authz.AsSystem(ctx)); err != nil {
			return 0, err
		}
		if memo != nil {
			memo.mu.Lock()
			memo.limits = limits
			memo.mu.Unlock()
		}
	}
	for _, l := range limits {
		if string(l.Procedure) == procedure && string(l.Step) == step && !l.EffectiveFrom.After(day) {
			return l.WorkingDays, nil
		}
	}
	return 0, fmt.Errorf("time limit %s/%s: %w", procedure, step, &ent.NotFoundError{})
}
