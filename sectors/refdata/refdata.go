// Package refdata reads the reference rows that validating a record needs — departments and
// publicity rules — and memoises them for the length of one batch write, so a batch of 1,000
// penalties reads each reference row once instead of once per row. Outside a batch every call
// reads the database, so a change to a department or a rule is seen at once.
package refdata

import (
	"context"
	"sync"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/publicityrule"
)

type cacheKey struct{}

type cache struct {
	mu    sync.Mutex
	deps  map[int]*ent.Department
	rules []*ent.PublicityRule // nil until loaded
}

// WithCache returns ctx carrying a memo for one batch write. Use it only for the length of a
// transaction: the memo does not see changes made after a row was first read.
func WithCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, cacheKey{}, &cache{deps: map[int]*ent.Department{}})
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

// PenaltyRule picks the publicity rule of a penalty decided on day (domain.md §4): a penalty
// rule (no list type) for the severity whose dates cover the day, one limited to the sector
// preferred over a general one. It returns nil when none applies: the penalty is not public.
func PenaltyRule(rules []*ent.PublicityRule, severity, sector string, day time.Time) *ent.PublicityRule {
	var rule *ent.PublicityRule
	for _, r := range rules {
		applies := r.ListType == "" && r.Severity == severity && inForce(r, day) && (r.Sector == "" || r.Sector == sector)
		if applies && (rule == nil || r.Sector != "" && rule.Sector == "") {
			rule = r
		}
	}
	return rule
}

// ListRule picks the rule of a list type in force on the listing day, the latest one when
// several are; nil when the list has none.
func ListRule(rules []*ent.PublicityRule, listType string, day time.Time) *ent.PublicityRule {
	var rule *ent.PublicityRule
	for _, r := range rules {
		if r.ListType == listType && inForce(r, day) && (rule == nil || r.EffectiveFrom.After(rule.EffectiveFrom)) {
			rule = r
		}
	}
	return rule
}

func inForce(r *ent.PublicityRule, day time.Time) bool {
	return !r.EffectiveFrom.After(day) && (r.EffectiveTo == nil || r.EffectiveTo.After(day))
}
